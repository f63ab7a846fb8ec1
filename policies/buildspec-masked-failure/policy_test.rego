package stagegate.policies.buildspec_masked_failure_test

import data.stagegate.lib
import data.stagegate.policies.buildspec_masked_failure

command(phase, list, i, text) := {
	"phase": phase,
	"text": text,
	"source": {"file": "buildspec.yml", "path": sprintf("/phases/%s/%s/%d", [phase, list, i])},
}

workspace(commands, content) := {"buildspecs": {"buildspec.yml": {
	"key": "buildspec.yml",
	"owner": "developer",
	"version": "0.2",
	"commands": commands,
	"runtime_versions": {},
	"content": content,
	"source": {"file": "buildspec.yml", "path": ""},
}}}

build_commands(texts) := [command("build", "commands", i, text) | some i, text in texts]

test_masking_constructs_are_denied if {
	count(buildspec_masked_failure.deny) == 7 with input as workspace(
		build_commands([
			"npm test || true",
			"trivy fs --exit-code 1 . || exit 0",
			"pytest; exit 0",
			"set +e",
			"set +o errexit; make check",
			"npm audit --audit-level=high || :",
			"make lint ||true",
		]),
		{},
	)
}

test_install_and_pre_build_are_checked_but_not_post_build_or_finally if {
	count(buildspec_masked_failure.deny) == 2 with input as workspace(
		[
			command("install", "commands", 0, "pip install -r requirements.txt || true"),
			command("pre_build", "commands", 0, "docker login || true"),
			command("post_build", "commands", 0, "rm -rf node_modules || true"),
			command("build", "finally", 0, "docker logout || true"),
		],
		{},
	)
}

test_plain_commands_pass if {
	count(buildspec_masked_failure.deny) == 0 with input as workspace(
		build_commands([
			"npm test",
			"set -euo pipefail",
			"test -f report.xml || exit 1",
			"grep -q ok status.txt && echo true",
			"if [ -z \"$TAG\" ]; then\n  exit 0\nfi",
		]),
		{},
	)
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

test_the_search_over_the_phases_finds_one_masked_command_among_many if {
	texts := array.concat([sprintf("make step-%d", [i]) | some i in numbers.range(0, 30)], ["npm test || true"])
	findings := buildspec_masked_failure.deny with input as workspace(
		build_commands(texts),
		{"version": 0.2, "phases": {"build": {"commands": texts}}},
	)
	count(findings) == 1
}

test_phases_without_any_searched_word_pass if {
	texts := [sprintf("make step-%d", [i]) | some i in numbers.range(0, 30)]
	count(buildspec_masked_failure.deny) == 0 with input as workspace(
		build_commands(texts),
		{"version": 0.2, "phases": {"build": {"commands": texts}}},
	)
}

test_the_finding_names_the_first_construct_the_command_uses if {
	messages := {f.message | some f in buildspec_masked_failure.deny} with input as workspace(
		build_commands([
			"npm test || true",
			"pytest; exit 0",
			"make check || exit 0; exit 0",
			"set +o errexit",
			"trivy fs --exit-code 1 .",
		]),
		{},
	)
	names := {regex.find_n("`[^`]+`", m, 1)[0] | some m in messages}
	names == {"`|| true`", "`; exit 0`", "`|| exit 0`", "`set +e`"}
}

test_blanks_are_the_shell_blanks if {
	count(buildspec_masked_failure.deny) == 3 with input as workspace(
		build_commands([
			"pytest;\texit 0",
			"set\t+e",
			"make ||\n  exit 0",
			"trivy fs --exit-code 1 .",
			"npm config set registry https://registry.example.com",
			# bash reads a no-break space as part of a word: `\u00a0true` is a missing command
			"npm test ||\u00a0true",
		]),
		{},
	)
}
