package stagegate.policies.build_without_sca_test

import data.stagegate.policies.build_without_sca

# An action as the model gives it: `is_build` and `roles` are computed by stagegate.
action(name, category, stage_index, run_order, roles) := {
	"name": name,
	"category": category,
	"pipeline_index": 0,
	"stage": "Build",
	"stage_index": stage_index,
	"run_order": run_order,
	"roles": roles,
	"is_build": builds(category, roles),
	"is_deploy": category == "Deploy",
	"conditions": [],
	"source_artifacts": ["SourceOutput"],
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

test_one_protecting_gate_is_enough if {
	count(build_without_sca.deny) == 0 with input as pipeline([
		action("SCA", "Test", 0, 1, ["sca"]),
		action("LateScan", "Test", 0, 3, ["sca"]),
		action("Build", "Build", 0, 2, []),
	])
}

test_a_conditional_gate_protects_only_its_branch if {
	gate := object.union(action("SCA", "Test", 0, 1, ["sca"]), {"conditions": ["IsProd"]})
	count(build_without_sca.deny) == 1 with input as pipeline([gate, action("Build", "Build", 0, 2, [])])
	inside := object.union(action("Build", "Build", 0, 2, []), {"conditions": ["IsProd"]})
	count(build_without_sca.deny) == 0 with input as pipeline([gate, inside])
}

test_a_gate_must_read_what_the_build_builds if {
	gate := object.union(action("SCA", "Test", 0, 1, ["sca"]), {"source_artifacts": ["OtherRepo"]})
	count(build_without_sca.deny) == 1 with input as pipeline([gate, action("Build", "Build", 0, 2, [])])
}

test_a_claimed_gate_is_named_in_the_finding if {
	claimant := object.union(action("SCA", "Test", 0, 1, []), {"gate_evidence": [{
		"role": "sca",
		"accepted": false,
		"reason": "named like SCA (action name \"SCA\"), but its project runs the repository's buildspec.yml",
		"source": {"file": "p.yaml", "path": "/SCA"},
	}]})
	some finding in build_without_sca.deny with input as pipeline([claimant, action("Build", "Build", 0, 2, [])])
	some at in finding.at
	contains(at.label, "named like SCA")
}

builds(category, roles) if {
	count(roles) == 0
	category in {"Build", "Test", "Compute"}
}

default builds(_, _) := false
