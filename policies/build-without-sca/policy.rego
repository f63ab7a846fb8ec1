# METADATA
# title: Build or test action can start before the SCA gate has finished
# description: |
#   Software Composition Analysis (SCA) is the gate that stops vulnerable dependencies before
#   anything is built from them. CodePipeline runs stages in order and, inside a stage,
#   actions by RunOrder (missing means 1; equal means parallel). A Build or Test action that
#   is not itself a security gate and is not strictly after every SCA gate of its pipeline
#   runs even when SCA fails, or runs with no SCA at all.
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

# No SCA gate at all in the pipeline.
deny contains finding if {
	some [pipeline, builds, gates] in pipelines
	count(gates) == 0
	some action in builds
	finding := {
		"message": sprintf(
			"%s action %s in pipeline %s runs with no SCA gate that always runs in the pipeline",
			[lower(action.category), lib.action_label(action), pipeline.name],
		),
		"at": [{"source": action.source, "label": "runs without any SCA gate"}],
	}
}

# SCA gates exist but not every one finishes before the build starts: one finding per
# build, naming every gate it does not wait for.
deny contains finding if {
	some [_, builds, gates] in pipelines
	count(gates) > 0
	some action in builds
	# lib.precedes written out (both are of this pipeline): a call per pair costs the
	# policy engine more than the comparison
	late := [gate |
		some gate in gates
		[gate.stage_index, gate.run_order] >= [action.stage_index, action.run_order]
	]
	count(late) > 0
	finding := {
		"message": sprintf(
			"%s action %s can start before SCA gate %s has finished (%s)",
			[
				lower(action.category), lib.action_label(action),
				concat(", ", [lib.action_label(g) | some g in late]), relation(late[0], action),
			],
		),
		"at": array.concat(
			[{"source": action.source, "label": "starts before the SCA gate finishes"}],
			[ref | some gate in late; some ref in gate_refs(gate)],
		),
	}
}

# Each pipeline with its build actions and its SCA gates, gathered once for both rules.
# The build test is lib.is_build written out, for the same reason.
pipelines := [[pipeline, builds, lib.gates(pipeline, "sca")] |
	some pipeline in input.pipelines
	builds := [action |
		some action in lib.pipeline_actions(pipeline)
		action.category in {"Build", "Test", "Compute"}
		count(action.roles) == 0
	]
]

gate_refs(gate) := array.concat(
	[{"source": gate.source, "label": "SCA gate"}],
	[{"source": e.source, "label": sprintf("SCA gate because it %s", [reason(e)])} |
		some e in gate.gate_evidence
		e.role == "sca"
		e.source != gate.source
	],
)

relation(gate, action) := "same RunOrder: they run in parallel" if {
	gate.stage_index == action.stage_index
	gate.run_order == action.run_order
} else := "the SCA gate has a higher RunOrder" if {
	gate.stage_index == action.stage_index
} else := "the SCA gate is in a later stage"

reason(e) := e.reason if startswith(e.reason, "runs")

else := sprintf("has %s", [e.reason])
