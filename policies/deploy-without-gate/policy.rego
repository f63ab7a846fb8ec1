# METADATA
# title: Deploy action can start before a security gate has finished
# description: |
#   A security gate (SCA, SAST, secrets detection, IaC scan) only protects what runs after
#   it. CodePipeline runs stages in order and, inside a stage, actions by RunOrder (missing
#   means 1; equal means parallel). A Deploy action (whatever its name) that does not start
#   after every verified security gate of its pipeline has finished, each running whenever
#   the deploy runs and reading what it deploys, ships the change even when a gate fails;
#   a pipeline with no verified gate at all deploys code nobody scanned. Gates are verified
#   as for build-without-sca: names are evidence, never proof.
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

# No verified security gate in the pipeline.
deny contains finding if {
	some p, pipeline in input.pipelines
	count(verified_gates[p]) == 0
	some deploy in lib.pipeline_actions(pipeline)
	deploy.is_deploy
	finding := {
		"message": sprintf(
			"deploy action %s in pipeline %s runs with no verified security gate in the pipeline",
			[lib.action_label(deploy), pipeline.name],
		),
		"at": [{"source": deploy.source, "label": "deploys without any verified security gate"}],
	}
}

# Verified gates that do not protect the deploy: one finding per deploy, naming them all.
deny contains finding if {
	some p, pipeline in input.pipelines
	some deploy in lib.pipeline_actions(pipeline)
	deploy.is_deploy
	not deploy.after_every_gate
	late := [gate |
		some gate in verified_gates[p]
		gate.source != deploy.source
		not lib.protects(gate, deploy)
	]
	finding := {
		"message": sprintf(
			"deploy action %s can start before security gate %s has finished: %s",
			[lib.action_label(deploy), lib.labels(late, 5), lib.unprotected_because(late[0], deploy)],
		),
		"at": array.concat(
			[{"source": deploy.source, "label": "starts before the security gate finishes"}],
			[{"source": gate.source, "label": sprintf("security gate (%s)", [concat(", ", sort(gate.roles))])} |
				some gate in lib.first(late, 10)
			],
		),
	}
}

# The verified gates of each pipeline, by position.
verified_gates[p] := [action |
	some action in lib.pipeline_actions(pipeline)
	count(action.roles) > 0
] if {
	some p, pipeline in input.pipelines
}
