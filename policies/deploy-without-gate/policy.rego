# METADATA
# title: Deploy action can start before a security gate has finished
# description: |
#   A security gate (SCA, SAST, secrets detection, IaC scan) only protects what runs after
#   it. CodePipeline runs stages in order and, inside a stage, actions by RunOrder (missing
#   means 1; equal means parallel). A Deploy action that is not strictly after every
#   security gate of its pipeline ships the change even when a gate fails, and a pipeline
#   with no gate at all deploys code nobody scanned.
# related_resources:
#   - https://docs.aws.amazon.com/codepipeline/latest/userguide/reference-pipeline-structure.html
#   - https://docs.aws.amazon.com/codepipeline/latest/userguide/concepts.html
#   - https://aws.amazon.com/blogs/devops/balancing-governance-and-agility-with-aws-codebuild/
# custom:
#   id: deploy-without-gate
#   severity: error
#   waivable: false
#   remediation: |
#     Move every security gate before the deploy: into an earlier stage, or into the same
#     stage with a lower RunOrder. A pipeline without gates needs at least one.
#
#     Before:
#       - Name: Deploy
#         Actions:
#           - Name: DeployApp       # RunOrder 1, parallel with the scan
#           - Name: Checkov
#             RunOrder: 1
#     After:
#       - Name: Deploy
#         Actions:
#           - Name: Checkov
#             RunOrder: 1
#           - Name: DeployApp
#             RunOrder: 2
package stagegate.policies.deploy_without_gate

import data.stagegate.lib

# No security gate at all in the pipeline.
deny contains finding if {
	some [pipeline, actions, gates] in pipelines
	count(gates) == 0
	some deploy in actions
	deploy.category == "Deploy"
	finding := {
		"message": sprintf(
			"deploy action %s in pipeline %s runs with no security gate in the pipeline",
			[lib.action_label(deploy), pipeline.name],
		),
		"at": [{"source": deploy.source, "label": "deploys without any security gate"}],
	}
}

# A gate exists but does not finish before the deploy starts.
deny contains finding if {
	some [_, actions, gates] in pipelines
	some j, deploy in actions
	deploy.category == "Deploy"
	some [i, gate] in gates
	i != j
	# lib.precedes written out (both are of this pipeline): a call per pair costs the
	# policy engine more than the comparison
	[gate.stage_index, gate.run_order] >= [deploy.stage_index, deploy.run_order]
	finding := {
		"message": sprintf(
			"deploy action %s can start before security gate %s (%s) has finished (%s)",
			[lib.action_label(deploy), lib.action_label(gate), concat(", ", sort(gate.roles)), relation(gate, deploy)],
		),
		"at": [
			{"source": deploy.source, "label": "starts before the security gate finishes"},
			{"source": gate.source, "label": "security gate"},
		],
	}
}

# Each pipeline with its actions and its gates (each with its index among the actions, so
# that an action is told apart from an identical one), gathered once for both rules.
pipelines := [[pipeline, actions, gates] |
	some pipeline in input.pipelines
	actions := lib.pipeline_actions(pipeline)
	gates := [[i, action] |
		some i, action in actions
		count(action.roles) > 0 # lib.is_gate, written out for the same reason
	]
]

relation(gate, deploy) := "same RunOrder: they run in parallel" if {
	gate.stage_index == deploy.stage_index
	gate.run_order == deploy.run_order
} else := "the gate has a higher RunOrder" if {
	gate.stage_index == deploy.stage_index
} else := "the gate is in a later stage"
