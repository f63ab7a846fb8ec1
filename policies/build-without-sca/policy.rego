# METADATA
# title: Build or test action can start before the SCA gate has finished
# description: |
#   Software Composition Analysis (SCA) is the gate that stops vulnerable dependencies before
#   anything is built from them. CodePipeline runs stages in order and, inside a stage,
#   actions by RunOrder (missing means 1; equal means parallel). Every action that builds
#   (Build, Test or Compute, whatever its name, unless it is itself a verified gate) needs a
#   verified SCA gate that finishes before it starts, runs whenever it runs (not only under
#   a condition, not in a stage that can be skipped without it) and scans the source it
#   builds. Otherwise it runs even when SCA fails, or with no SCA at all.
#
#   A gate is verified when governance data names it (or its project), when it is an
#   AWS-managed scanner (Amazon Inspector source code scan), or when its platform-owned
#   (inline) buildspec runs a recognised scanner that can fail the build. A name such as
#   "SCA" is evidence, never proof.
# related_resources:
#   - https://docs.aws.amazon.com/codepipeline/latest/userguide/reference-pipeline-structure.html
#   - https://aws.amazon.com/blogs/devops/balancing-governance-and-agility-with-aws-codebuild/
# custom:
#   id: build-without-sca
#   severity: error
#   waivable: false
#   remediation: |
#     Put a platform-owned SCA action before every build: in the same stage with a lower
#     RunOrder, or in an earlier stage.
#
#     Before:
#       - Name: SCA            # RunOrder missing = 1, parallel with the build
#       - Name: BuildAndTest
#         RunOrder: 1
#     After:
#       - Name: SCA
#         RunOrder: 1
#       - Name: BuildAndTest
#         RunOrder: 2
package stagegate.policies.build_without_sca

import data.stagegate.lib

# A build that no verified SCA gate protects: one finding per build, naming the SCA gates
# that exist and why each does not protect it, and the actions that claim to be SCA gates
# but could not be verified. A locked action is the platform's (the locked-* policies
# check that it really is), so one that is not a verified gate is not reported again here.
deny contains finding if {
	some p, pipeline in input.pipelines
	some stage in pipeline.stages
	some action in stage.actions
	action.is_build
	not action.locked
	not "sca" in action.protected_by
	gates := sca_gates[p]
	finding := {
		"message": message(pipeline, action, gates, claims[p]),
		"at": array.concat(
			[{"source": action.source, "label": label(gates)}],
			array.concat(
				[ref |
					some gate in lib.first(gates, 10)
					some ref in gate_refs(gate, action)
				],
				[{"source": e.source, "label": e.reason} | some [_, e] in lib.first(claims[p], 10)],
			),
		),
	}
}

# The verified SCA gates of each pipeline, by position.
sca_gates[p] := lib.gates(pipeline, "sca") if some p, pipeline in input.pipelines

# The actions of each pipeline that claim to be SCA gates and were not verified, with why.
claims[p] := [[action, e] |
	some action in lib.pipeline_actions(pipeline)
	"sca" in action.claimed_roles
	some e in lib.refused_claims(action, "sca")
] if {
	some p, pipeline in input.pipelines
}

message(pipeline, action, gates, claims) := sprintf(
	"%s action %s in pipeline %s runs with no verified SCA gate: %s is %s (a platform declares its gates in governance data: gates.actions, gates.projects)",
	[lower(action.category), lib.action_label(action), pipeline.name, lib.action_label(claims[0][0]), claims[0][1].reason],
) if {
	count(gates) == 0
	count(claims) > 0
} else := sprintf(
	"%s action %s in pipeline %s runs with no verified SCA gate in the pipeline (a platform declares its gates in governance data: gates.actions, gates.projects)",
	[lower(action.category), lib.action_label(action), pipeline.name],
) if {
	count(gates) == 0
} else := sprintf(
	"%s action %s can start before SCA gate %s has finished: %s",
	[
		lower(action.category), lib.action_label(action),
		lib.labels(gates, 5),
		lib.unprotected_because(gates[0], action),
	],
)

label(gates) := "runs without any verified SCA gate" if count(gates) == 0

else := "starts before an SCA gate that protects it has finished"

# A gate that does not protect the build, and the evidence that made it a gate.
gate_refs(gate, action) := array.concat(
	[{"source": gate.source, "label": sprintf("SCA gate, but %s", [lib.unprotected_because(gate, action)])}],
	[{"source": e.source, "label": sprintf("SCA gate: %s", [e.reason])} |
		some e in gate.gate_evidence
		e.role == "sca"
		e.accepted
		e.source != gate.source
	],
)
