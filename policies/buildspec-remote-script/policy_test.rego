package stagegate.policies.buildspec_remote_script_test

import data.stagegate.lib
import data.stagegate.policies.buildspec_remote_script

workspace(commands) := {"buildspecs": {"buildspec.yml": {
	"key": "buildspec.yml",
	"owner": "developer",
	"commands": [c |
		some i, how in commands
		c := {
			"phase": "install",
			"text": "curl -s https://x | sh",
			"runs_download": how,
			"source": {"file": "buildspec.yml", "path": sprintf("/phases/install/commands/%d", [i])},
		}
	],
	"source": {"file": "buildspec.yml", "path": ""},
}}}

test_a_command_that_runs_a_download_is_denied_at_the_command if {
	findings := buildspec_remote_script.deny with input as workspace([null, "pipes a download into a shell"])
	count(findings) == 1
	some finding in findings
	lib.target(finding.at[0]) == {"file": "buildspec.yml", "path": "/phases/install/commands/1"}
	finding.message == "a command in the install phase of buildspec buildspec.yml pipes a download into a shell, so whatever the server returns runs in the build"
}

test_commands_that_run_no_download_pass if {
	count(buildspec_remote_script.deny) == 0 with input as workspace([null, null])
}
