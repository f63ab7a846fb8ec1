package stagegate.policies.prod_deploy_without_approval_test

import data.stagegate.policies.prod_deploy_without_approval

action(name, category, provider, stage_index, run_order) := {
	"name": name,
	"category": category,
	"provider": provider,
	"pipeline_index": 0,
	"stage": "Prod",
	"stage_index": stage_index,
	"run_order": run_order,
	"source": {"file": "p.yaml", "path": sprintf("/%s", [name])},
}

workspace(actions) := {"pipelines": [{"stages": [{"actions": actions}]}]}

test_deploy_after_approval_passes if {
	count(prod_deploy_without_approval.deny) == 0 with input as workspace([
		action("Approve", "Approval", "Manual", 0, 1),
		action("Deploy", "Deploy", "CloudFormation", 0, 2),
	])
}

test_parallel_approval_is_denied if {
	count(prod_deploy_without_approval.deny) == 1 with input as workspace([
		action("Approve", "Approval", "Manual", 0, 1),
		action("Deploy", "Deploy", "CloudFormation", 0, 1),
	])
}

test_missing_approval_is_denied if {
	count(prod_deploy_without_approval.deny) == 1 with input as workspace([action("Deploy", "Deploy", "CloudFormation", 0, 1)])
}
