# METADATA
# title: Production deploy without a manual approval before it
# description: |
#   Every Deploy action in a production stage (a stage whose name contains "prod") must be
#   preceded by a Manual approval action of the same pipeline.
# related_resources:
#   - https://docs.aws.amazon.com/codepipeline/latest/userguide/approvals.html
# custom:
#   id: prod-deploy-without-approval
#   severity: error
#   remediation: |
#     Add a Manual approval action that finishes before the deploy.
#
#     Before:
#       - Name: Prod
#         Actions:
#           - Name: Deploy
#     After:
#       - Name: Prod
#         Actions:
#           - Name: Approve
#             ActionTypeId: {Category: Approval, Owner: AWS, Provider: Manual, Version: 1}
#             RunOrder: 1
#           - Name: Deploy
#             RunOrder: 2
package stagegate.policies.prod_deploy_without_approval

import data.stagegate.lib

deny contains finding if {
	some deploy in lib.actions
	deploy.category == "Deploy"
	contains(lower(deploy.stage), "prod")
	not approved(deploy)
	finding := {
		"message": sprintf("production deploy %s has no manual approval before it", [lib.action_label(deploy)]),
		"at": deploy.source,
	}
}

approved(deploy) if {
	some approval in lib.actions
	approval.category == "Approval"
	approval.provider == "Manual"
	lib.precedes(approval, deploy)
}
