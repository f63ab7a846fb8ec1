package stagegate.policies.build_without_sca_test

import data.stagegate.lib
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

# The policy writes lib.is_build and lib.precedes out for speed: they must say the same.
mixed := [
	action("Sca", "Test", 0, 1, ["sca"]),
	action("Compile", "Build", 0, 1, []),
	action("Unit", "Test", 0, 2, []),
	action("Shell", "Compute", 1, 1, []),
	action("Lint", "Build", 1, 1, ["sast"]),
	action("Ship", "Deploy", 1, 2, []),
	action("Approve", "Approval", 2, 1, []),
]

test_the_written_out_build_test_is_lib_is_build if {
	[_, builds, _] := build_without_sca.pipelines[0] with input as pipeline(mixed)
	builds == [a | some a in mixed; lib.is_build(a)]
}

precedes(a, b) := true if lib.precedes(a, b)

else := false

test_the_written_out_ordering_is_lib_precedes if {
	every a in mixed {
		every b in mixed {
			precedes(a, b) == ([a.stage_index, a.run_order] < [b.stage_index, b.run_order])
		}
	}
}
