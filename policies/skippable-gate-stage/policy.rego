# METADATA
# title: Stage holding a security gate can be skipped by an entry condition
# description: |
#   CodePipeline V2 stages can have entry conditions (BeforeEntry). A condition whose
#   result is SKIP does not stop the pipeline when its rules fail: the stage is skipped and
#   the next stage runs. When that stage holds a security gate (SCA, SAST, secrets
#   detection, IaC scan), whoever can change what the rules check (a pipeline variable, a
#   Lambda function) can have the pipeline continue without the gate. Unlike FAIL results,
#   SKIP conditions cannot be overridden, but they do not need to be: skipping is the point.
# related_resources:
#   - https://docs.aws.amazon.com/codepipeline/latest/userguide/stage-conditions.html
#   - https://docs.aws.amazon.com/codepipeline/latest/userguide/concepts-how-it-works-conditions.html
#   - https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-codepipeline-pipeline-beforeentryconditions.html
# custom:
#   id: skippable-gate-stage
#   severity: warning
#   waivable: false
#   remediation: |
#     Use FAIL as the result of entry conditions on stages that hold a security gate, or
#     move the gate to a stage without a SKIP condition.
#
#     Before:
#       - Name: Security
#         BeforeEntry:
#           Conditions:
#             - Result: SKIP
#               Rules: [...]
#         Actions:
#           - Name: SCA
#     After:
#       - Name: Security
#         BeforeEntry:
#           Conditions:
#             - Result: FAIL
#               Rules: [...]
#         Actions:
#           - Name: SCA
package stagegate.policies.skippable_gate_stage

import data.stagegate.lib

# A stage whose entry condition can skip it (a SKIP result however it is written, or one
# stagegate cannot resolve: `skippable`) and that holds security gates.
deny contains finding if {
	some pipeline in input.pipelines
	some stage in pipeline.stages
	stage.skippable
	gates := [gate |
		some gate in stage.actions
		lib.is_or_claims_gate(gate)
	]
	count(gates) > 0
	labels := sort([lib.action_label(gate) | some gate in gates])
	finding := {
		"message": sprintf(
			"stage %s of pipeline %s has an entry condition with result SKIP, so its security gates (%s) can be skipped and the pipeline continues without them",
			[stage.name, pipeline.name, concat(", ", labels)],
		),
		"at": array.concat(
			[{"source": stage.skip_condition, "label": "entry condition can skip the stage"}],
			[{"source": gate.source, "label": "security gate that is skipped with the stage"} | some gate in gates],
		),
	}
}
