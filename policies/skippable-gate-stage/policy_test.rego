package stagegate.policies.skippable_gate_stage_test

import data.stagegate.lib
import data.stagegate.policies.skippable_gate_stage

gate := {"name": "SCA", "stage": "Security", "roles": ["sca"], "source": {"file": "p.yaml", "path": "/s/Actions/0"}}

build := {"name": "Build", "stage": "Security", "roles": [], "source": {"file": "p.yaml", "path": "/s/Actions/1"}}

workspace(format, before_entry, actions) := {"pipelines": [{
	"name": "app",
	"type": "V2",
	"format": format,
	"stages": [{
		"index": 0,
		"name": "Security",
		"before_entry": before_entry,
		"actions": actions,
		"source": {"file": "p.yaml", "path": "/s"},
	}],
}]}

cfn(result) := {"Conditions": [{"Result": result, "Rules": [{"Name": "R"}]}]}

test_skip_on_a_gate_stage_is_denied_at_before_entry if {
	denied := skippable_gate_stage.deny with input as workspace("cloudformation", cfn("SKIP"), [gate, build])
	count(denied) == 1
	some f in denied
	lib.target(f.at[0]).path == "/s/BeforeEntry"
	lib.target(f.at[1]).path == "/s/Actions/0"
	count(f.at) == 2
}

test_api_keys_are_camel_case if {
	be := {"conditions": [{"result": "SKIP", "rules": [{"name": "R"}]}]}
	some f in skippable_gate_stage.deny with input as workspace("api", be, [gate])
	lib.target(f.at[0]).path == "/s/beforeEntry"
}

test_fail_result_passes if {
	count(skippable_gate_stage.deny) == 0 with input as workspace("cloudformation", cfn("FAIL"), [gate])
}

test_stage_without_gate_passes if {
	count(skippable_gate_stage.deny) == 0 with input as workspace("cloudformation", cfn("SKIP"), [build])
}

test_no_conditions_pass if {
	count(skippable_gate_stage.deny) == 0 with input as workspace("cloudformation", null, [gate])
}

test_fn_if_with_a_skip_branch_is_denied if {
	count(skippable_gate_stage.deny) == 1 with input as workspace("cloudformation", cfn({"Fn::If": ["IsDev", "SKIP", "FAIL"]}), [gate])
}
