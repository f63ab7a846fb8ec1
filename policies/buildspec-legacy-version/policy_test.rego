package stagegate.policies.buildspec_legacy_version_test

import data.stagegate.lib
import data.stagegate.policies.buildspec_legacy_version

workspace(version) := {"buildspecs": {"buildspec.yml": {
	"key": "buildspec.yml",
	"owner": "developer",
	"version": version,
	"commands": [],
	"runtime_versions": {},
	"content": {"version": version, "phases": {}},
	"source": {"file": "buildspec.yml", "path": ""},
}}}

test_version_0_1_is_denied if {
	count(buildspec_legacy_version.deny) == 1 with input as workspace("0.1")
}

test_finding_is_at_the_version_entry if {
	some finding in buildspec_legacy_version.deny with input as workspace("0.1")
	lib.target(finding.at[0]) == {"file": "buildspec.yml", "path": "/version"}
}

test_version_0_2_passes if {
	count(buildspec_legacy_version.deny) == 0 with input as workspace("0.2")
}

test_missing_version_passes if {
	count(buildspec_legacy_version.deny) == 0 with input as workspace(null)
}

test_inline_buildspec_is_located_inside_the_template if {
	spec := object.union(workspace("0.1").buildspecs["buildspec.yml"], {
		"owner": "platform",
		"source": {"file": "t.yaml", "path": "/Resources/P/Properties/Source/BuildSpec#"},
	})
	some finding in buildspec_legacy_version.deny with input as {"buildspecs": {"k": spec}}
	lib.target(finding.at[0]).path == "/Resources/P/Properties/Source/BuildSpec#/version"
}
