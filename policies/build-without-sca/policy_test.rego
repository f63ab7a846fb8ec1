package stagegate.policies.build_without_sca_test

import data.stagegate.policies.build_without_sca

action(name, category, stage_index, run_order, roles) := {
	"name": name,
	"category": category,
	"pipeline_index": 0,
	"stage": "Build",
	"stage_index": stage_index,
	"run_order": run_order,
	"roles": roles,
	"gate_evidence": [],
	"source": {"file": "p.yaml", "path": sprintf("/%s", [name])},
}

pipeline(actions) := {"pipelines": [{
	"name": "app",
	"stages": [{"index": 0, "name": "Build", "actions": actions}],
}]}

test_sca_before_build_passes if {
	count(build_without_sca.deny) == 0 with input as pipeline([
		action("SCA", "Test", 0, 1, ["sca"]),
		action("Build", "Build", 0, 2, []),
	])
}

test_parallel_sca_is_denied if {
	count(build_without_sca.deny) == 1 with input as pipeline([
		action("SCA", "Test", 0, 1, ["sca"]),
		action("Build", "Build", 0, 1, []),
	])
}

test_missing_sca_is_denied_per_build if {
	count(build_without_sca.deny) == 2 with input as pipeline([
		action("Build", "Build", 0, 1, []),
		action("UnitTests", "Test", 0, 2, []),
	])
}

test_other_gates_are_not_builds if {
	count(build_without_sca.deny) == 0 with input as pipeline([
		action("SCA", "Test", 0, 1, ["sca"]),
		action("SAST", "Test", 0, 1, ["sast"]),
	])
}

test_deploy_is_not_a_build if {
	count(build_without_sca.deny) == 0 with input as pipeline([
		action("SCA", "Test", 0, 2, ["sca"]),
		action("Deploy", "Deploy", 0, 1, []),
	])
}
