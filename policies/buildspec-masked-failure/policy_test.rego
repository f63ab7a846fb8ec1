package stagegate.policies.buildspec_masked_failure_test

import data.stagegate.lib
import data.stagegate.policies.buildspec_masked_failure

command(phase, finally, masks) := {
	"phase": phase,
	"finally": finally,
	"text": "npm test || true",
	"masks": masks,
	"source": {"file": "buildspec.yml", "path": sprintf("/phases/%s/commands/0", [phase])},
}

workspace(commands, content) := {"buildspecs": {"buildspec.yml": {
	"key": "buildspec.yml",
	"owner": "developer",
	"commands": commands,
	"content": content,
	"source": {"file": "buildspec.yml", "path": ""},
}}}

test_a_masking_command_is_denied_with_its_construct if {
	findings := buildspec_masked_failure.deny with input as workspace([command("build", false, "|| true")], {})
	count(findings) == 1
	some finding in findings
	contains(finding.message, "uses `|| true`")
	contains(finding.message, "buildspec buildspec.yml")
}

test_install_and_pre_build_are_checked_but_not_post_build_or_finally if {
	count(buildspec_masked_failure.deny) == 2 with input as workspace(
		[
			command("install", false, "|| true"),
			command("pre_build", false, "set +e"),
			command("post_build", false, "|| true"),
			command("build", true, "|| true"),
		],
		{},
	)
}

test_commands_that_mask_nothing_pass if {
	count(buildspec_masked_failure.deny) == 0 with input as workspace([command("build", false, null)], {})
}

test_on_failure_continue_is_denied_at_the_entry if {
	findings := buildspec_masked_failure.deny with input as workspace([], {"phases": {
		"build": {"on-failure": "CONTINUE", "commands": ["npm test"]},
		"pre_build": {"on-failure": "ABORT", "commands": ["npm ci"]},
	}})
	count(findings) == 1
	some finding in findings
	lib.target(finding.at[0]) == {"file": "buildspec.yml", "path": "/phases/build/on-failure"}
}

test_batch_ignore_failure_is_denied_at_the_entry if {
	findings := buildspec_masked_failure.deny with input as workspace([], {"batch": {
		"build-list": [
			{"identifier": "unit", "ignore-failure": false},
			{"identifier": "integration", "ignore-failure": true},
		],
		"build-graph": [{"identifier": "e2e", "ignore-failure": "true"}],
	}})
	count(findings) == 2
	paths := {lib.target(f.at[0]).path | some f in findings}
	paths == {"/batch/build-list/1/ignore-failure", "/batch/build-graph/0/ignore-failure"}
}

test_odd_content_passes if {
	count(buildspec_masked_failure.deny) == 0 with input as workspace([], {"phases": "x", "batch": {"build-list": "y"}})
}
