package stagegate.policies.buildspec_unpinned_runtime_test

import data.stagegate.lib
import data.stagegate.policies.buildspec_unpinned_runtime

workspace(runtimes) := {"buildspecs": {"buildspec.yml": {
	"key": "buildspec.yml",
	"owner": "developer",
	"version": "0.2",
	"commands": [],
	"runtime_versions": runtimes,
	"content": {"version": 0.2, "phases": {"install": {"runtime-versions": runtimes}}},
	"source": {"file": "buildspec.yml", "path": ""},
}}}

test_latest_and_major_only_are_denied if {
	count(buildspec_unpinned_runtime.deny) == 4 with input as workspace({
		"python": "3.x",
		"nodejs": "18.x",
		"java": "latest",
		"golang": "LATEST",
	})
}

test_exact_versions_pass if {
	count(buildspec_unpinned_runtime.deny) == 0 with input as workspace({
		"python": "3.12",
		"nodejs": 20,
		"java": "corretto21",
		"ruby": 3.3,
	})
}

test_finding_is_at_the_runtime_entry if {
	some finding in buildspec_unpinned_runtime.deny with input as workspace({"nodejs": "18.x"})
	lib.target(finding.at[0]) == {"file": "buildspec.yml", "path": "/phases/install/runtime-versions/nodejs"}
	contains(finding.message, "nodejs")
}

test_no_install_phase_passes if {
	count(buildspec_unpinned_runtime.deny) == 0 with input as {"buildspecs": {"b": {
		"owner": "developer",
		"content": {"version": 0.2, "phases": {"build": {"commands": ["make"]}}},
		"source": {"file": "b.yml", "path": ""},
	}}}
}

test_only_digits_then_x_is_a_wildcard if {
	count(buildspec_unpinned_runtime.deny) == 0 with input as workspace({
		"a": ".x",
		"b": "x",
		"c": "3.x.x",
		"d": "corretto.x",
		"e": "3.1.x",
		"f": "v18.x",
		"g": "18.xx",
	})
}
