package stagegate.policies.deploy_without_gate_test

import data.stagegate.lib
import data.stagegate.policies.deploy_without_gate

action(name, category, stage_index, run_order, roles) := {
	"name": name,
	"category": category,
	"pipeline_index": 0,
	"stage": sprintf("Stage%d", [stage_index]),
	"stage_index": stage_index,
	"run_order": run_order,
	"roles": roles,
	"is_build": builds(category, roles),
	"is_deploy": category == "Deploy",
	"conditions": [],
	"source_artifacts": ["SourceOutput"],
	# computed by stagegate; here from the positions alone, as no test uses conditions
	"after_every_gate": false,
	"source": {"file": "p.yaml", "path": sprintf("/%s", [name])},
}

pipeline(actions) := {"pipelines": [{
	"name": "app",
	"stages": [{"index": 0, "name": "All", "actions": actions}],
}]}

test_gates_before_deploy_pass if {
	deploy := object.union(action("Deploy", "Deploy", 2, 2, []), {"after_every_gate": true})
	count(deploy_without_gate.deny) == 0 with input as pipeline([
		action("SCA", "Test", 1, 1, ["sca"]),
		action("Checkov", "Test", 2, 1, ["iac"]),
		deploy,
	])
}

test_parallel_gate_is_denied_and_related if {
	denied := deploy_without_gate.deny with input as pipeline([
		action("SCA", "Test", 1, 1, ["sca"]),
		action("Checkov", "Test", 2, 1, ["iac"]),
		action("Deploy", "Deploy", 2, 1, []),
	])
	count(denied) == 1
	some f in denied
	lib.target(f.at[0]).path == "/Deploy"
	lib.target(f.at[1]).path == "/Checkov"
	contains(f.message, "parallel")
}

test_gate_in_a_later_stage_is_denied if {
	denied := deploy_without_gate.deny with input as pipeline([
		action("Deploy", "Deploy", 1, 1, []),
		action("SAST", "Test", 2, 1, ["sast"]),
	])
	count(denied) == 1
	some f in denied
	contains(f.message, "later stage")
}

test_no_gate_is_denied_per_deploy if {
	count(deploy_without_gate.deny) == 2 with input as pipeline([
		action("Build", "Build", 1, 1, []),
		action("DeployStaging", "Deploy", 2, 1, []),
		action("DeployProd", "Deploy", 3, 1, []),
	])
}

test_pipelines_without_deploys_pass if {
	count(deploy_without_gate.deny) == 0 with input as pipeline([
		action("Build", "Build", 1, 1, []),
		action("UnitTests", "Test", 1, 2, []),
	])
}

test_one_finding_per_deploy_names_every_late_gate if {
	denied := deploy_without_gate.deny with input as pipeline([
		action("Deploy", "Deploy", 1, 1, []),
		action("SAST", "Test", 2, 1, ["sast"]),
		action("Checkov", "Test", 2, 1, ["iac"]),
	])
	count(denied) == 1
	some f in denied
	count(f.at) == 3
}

test_a_deploy_named_like_a_scanner_is_a_deploy if {
	count(deploy_without_gate.deny) == 1 with input as pipeline([
		action("DeployCfnNag", "Deploy", 1, 1, []),
		action("SCA", "Test", 2, 1, ["sca"]),
	])
}

builds(category, roles) if {
	count(roles) == 0
	category in {"Build", "Test", "Compute"}
}

default builds(_, _) := false
