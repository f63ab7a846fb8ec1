# METADATA
# title: A value that decides a governance outcome cannot be verified
# description: |
#   Whether an action builds, deploys or gates, the order it runs in, the project a locked
#   action runs and whether a stage can be skipped are decided by values in the pipeline
#   definition. stagegate resolves them as CloudFormation does (Ref to parameters, Fn::Sub,
#   Fn::Join, Fn::Select, Fn::FindInMap over Mappings, every branch of Fn::If). A value it
#   cannot resolve from the checked files (an imported value, an SSM parameter, a pseudo
#   parameter, a pipeline variable), or one that only an overridable parameter default
#   supplies where a default is not enough (action types, run orders, stage conditions),
#   cannot be verified, and the check fails closed.
# related_resources:
#   - https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference.html
#   - https://docs.aws.amazon.com/codepipeline/latest/userguide/reference-pipeline-structure.html
# custom:
#   id: unverifiable-pipeline-value
#   severity: error
#   waivable: false
#   remediation: |
#     Write the value literally, or through a mapping or condition of the template itself,
#     so that it can be checked before it is deployed.
#
#     Before:
#       ActionTypeId:
#         Category: !Ref ActionCategory   # a parameter: any value at deploy time
#     After:
#       ActionTypeId:
#         Category: Build
package stagegate.policies.unverifiable_pipeline_value

deny contains finding if {
	some value in input.unresolved
	finding := {
		"message": sprintf("cannot verify %s: `%s` %s", [value.what, value.value, reason(value.reason)]),
		"at": [{"source": value.source, "label": "cannot be verified"}],
	}
}

reason(text) := sprintf("is %s", [text]) if {
	not startswith(text, "only")
	not startswith(text, "it ")
} else := sprintf("(%s)", [text])
