package stagegate.policies.build_without_sca_test

import data.stagegate.policies.build_without_sca

# An action as the model gives it: `is_build`, `roles` and `protected_by` are computed by
# stagegate (crates/core/src/model/gates.rs); these tests give them directly.
action(name, category, stage_index, run_order, roles, protected_by) := {
	"name": name,
	"category": category,
	"pipeline_index": 0,
	"stage": "Build",
	"stage_index": stage_index,
	"run_order": run_order,
	"roles": roles,
	"claimed_roles": [],
	"is_build": builds(category, roles),
	"is_deploy": category == "Deploy",
	"locked": false,
	"conditions": [],
	"source_artifacts": ["SourceOutput"],
	"protected_by": protected_by,
	"gate_evidence": [],
	"source": {"file": "p.yaml", "path": sprintf("/%s", [name])},
}

builds(category, roles) if {
	count(roles) == 0
	category in {"Build", "Test", "Compute"}
}

default builds(_, _) := false

pipeline(actions) := {"pipelines": [{
	"name": "app",
	"stages": [{"index": 0, "name": "Build", "actions": actions}],
}]}

sca := action("SCA", "Test", 0, 1, ["sca"], [])

test_a_protected_build_passes if {
	count(build_without_sca.deny) == 0 with input as pipeline([sca, action("Build", "Build", 0, 2, [], ["sca"])])
}

test_an_unprotected_build_is_denied_with_why if {
	denied := build_without_sca.deny with input as pipeline([sca, action("Build", "Build", 0, 1, [], [])])
	count(denied) == 1
	some f in denied
	contains(f.message, "can start before SCA gate Build/SCA has finished: they run in parallel")
}

test_missing_sca_is_denied_per_build if {
	denied := build_without_sca.deny with input as pipeline([
		action("Build", "Build", 0, 1, [], []),
		action("UnitTests", "Test", 0, 2, [], []),
	])
	count(denied) == 2
	some f in denied
	contains(f.message, "no verified SCA gate in the pipeline")
}

test_gates_deploys_and_locked_actions_are_not_reported if {
	locked := object.union(action("Sca", "Test", 0, 1, [], []), {"locked": true})
	count(build_without_sca.deny) == 0 with input as pipeline([
		sca,
		action("SAST", "Test", 0, 1, ["sast"], []),
		action("Deploy", "Deploy", 0, 1, [], []),
		locked,
	])
}

test_a_conditional_gate_is_explained if {
	gate := object.union(sca, {"conditions": ["IsProd"]})
	some f in build_without_sca.deny with input as pipeline([gate, action("Build", "Build", 0, 2, [], [])])
	contains(f.message, "it exists only when condition IsProd is true")
}

test_a_gate_reading_another_source_is_explained if {
	gate := object.union(sca, {"source_artifacts": ["OtherRepo"]})
	some f in build_without_sca.deny with input as pipeline([gate, action("Build", "Build", 0, 2, [], [])])
	contains(f.message, "does not read SourceOutput")
}

test_a_claimed_gate_is_named_in_the_finding if {
	claimant := object.union(action("Scan", "Test", 0, 1, [], []), {"locked": true, "claimed_roles": ["sca"], "gate_evidence": [{
		"role": "sca",
		"accepted": false,
		"reason": "named like SCA (action name \"Scan\"), but its project runs the repository's buildspec.yml",
		"source": {"file": "p.yaml", "path": "/Scan"},
	}]})
	some finding in build_without_sca.deny with input as pipeline([claimant, action("Build", "Build", 0, 2, [], [])])
	contains(finding.message, "Build/Scan is named like SCA")
	some at in finding.at
	contains(at.label, "named like SCA")
}

test_related_places_are_capped if {
	gates := [object.union(sca, {"name": sprintf("SCA%d", [i]), "run_order": 5}) | some i in numbers.range(1, 30)]
	some f in build_without_sca.deny with input as pipeline(array.concat(gates, [action("Build", "Build", 0, 2, [], [])]))
	count(f.at) <= 21
	contains(f.message, "and 25 more")
}
