package stagegate.policies.skippable_gate_stage_test

import data.stagegate.policies.skippable_gate_stage

gate := {"name": "SCA", "stage": "Security", "roles": ["sca"], "source": {"file": "p.yaml", "path": "/s/Actions/0"}}

build := {"name": "Build", "stage": "Security", "roles": [], "source": {"file": "p.yaml", "path": "/s/Actions/1"}}

condition := {"file": "p.yaml", "path": "/s/BeforeEntry"}

workspace(skippable, actions) := {"pipelines": [{
	"name": "app",
	"stages": [{
		"name": "Security",
		"skippable": skippable,
		"skip_condition": condition,
		"actions": actions,
		"source": {"file": "p.yaml", "path": "/s"},
	}],
}]}

test_a_skippable_gate_stage_is_denied_at_its_entry_condition if {
	denied := skippable_gate_stage.deny with input as workspace(true, [gate, build])
	count(denied) == 1
	some f in denied
	f.at[0].source == condition
	f.at[1].source == gate.source
	count(f.at) == 2
	contains(f.message, "its security gates (Security/SCA) can be skipped")
}

test_a_stage_that_cannot_be_skipped_passes if {
	count(skippable_gate_stage.deny) == 0 with input as workspace(false, [gate])
}

test_a_skippable_stage_without_gates_passes if {
	count(skippable_gate_stage.deny) == 0 with input as workspace(true, [build])
}
