package stagegate.policies.buildspec_remote_script_test

import data.stagegate.lib
import data.stagegate.policies.buildspec_remote_script

workspace(texts) := {"buildspecs": {"buildspec.yml": {
	"key": "buildspec.yml",
	"owner": "developer",
	"version": "0.2",
	"commands": [c |
		some i, text in texts
		c := {"phase": "install", "text": text, "source": {"file": "buildspec.yml", "path": sprintf("/phases/install/commands/%d", [i])}}
	],
	"runtime_versions": {},
	"content": {"version": 0.2, "phases": {"install": {"commands": texts}}},
	"source": {"file": "buildspec.yml", "path": ""},
}}}

test_pipes_into_a_shell_are_denied if {
	count(buildspec_remote_script.deny) == 5 with input as workspace([
		"curl -fsSL https://get.example.com | sh",
		"curl -sSfL https://raw.githubusercontent.com/x/y/main/install.sh | sudo bash -s -- -b /usr/local/bin",
		"wget -qO- https://example.com/setup | bash",
		"curl -s https://example.com/i.sh | sudo -E bash -",
		"wget -O - https://example.com/i.sh | env FOO=1 sh",
	])
}

test_process_substitution_is_denied if {
	count(buildspec_remote_script.deny) == 3 with input as workspace([
		"bash <(curl -s https://example.com/install.sh)",
		"source <(curl -s https://example.com/env.sh)",
		"sh -c \"$(curl -fsSL https://example.com/install.sh)\"",
	])
}

test_download_then_source_is_denied if {
	count(buildspec_remote_script.deny) == 3 with input as workspace([
		"curl -fsSLo env.sh https://example.com/env.sh && . ./env.sh",
		"wget https://example.com/env.sh; source env.sh",
		"curl -o nvm.sh https://example.com/nvm.sh\n. ./nvm.sh\nnvm install 20",
	])
}

test_verified_downloads_and_other_pipes_pass if {
	count(buildspec_remote_script.deny) == 0 with input as workspace([
		"curl -fsSLo install.sh https://example.com/install.sh && echo \"abc  install.sh\" | sha256sum -c - && bash install.sh",
		"curl -s https://api.example.com/v1/status | jq .state",
		"cat scripts/setup.sh | bash",
		". ./scripts/env.sh",
		"curl -fsSL https://example.com/x.tgz | tar xz",
		"wget -q https://example.com/tool.zip && unzip tool.zip | shellcheck",
	])
}

test_finding_is_at_the_command if {
	some finding in buildspec_remote_script.deny with input as workspace(["npm ci", "curl -s https://x | sh"])
	lib.target(finding.at[0]) == {"file": "buildspec.yml", "path": "/phases/install/commands/1"}
	contains(finding.message, "pipes a download into a shell")
}

test_an_input_without_content_is_searched_command_by_command if {
	spec := workspace(["make", "curl -fsSL https://get.example.com | sh"]).buildspecs["buildspec.yml"]
	bare := object.remove(spec, ["content"])
	count(buildspec_remote_script.deny) == 1 with input as {"buildspecs": {"buildspec.yml": bare}}
}

test_the_finding_names_the_first_way_the_command_runs_the_download if {
	messages := {f.message | some f in buildspec_remote_script.deny} with input as workspace([
		"bash <(curl -s https://example.com/install.sh)",
		"source <(curl -s https://example.com/env.sh)",
		"sh -c \"$(curl -fsSL https://example.com/install.sh)\"",
		"wget https://example.com/env.sh; source env.sh",
		"curl -s https://example.com/i.sh | sh; . ./after.sh",
	])
	messages == {sprintf("a command in the install phase of buildspec buildspec.yml %s, so whatever the server returns runs in the build", [how]) |
		some how in [
			"runs a download through process substitution",
			"sources a download through process substitution",
			"runs a download with sh -c",
			"downloads a script and sources it",
			"pipes a download into a shell",
		]
	}
}
