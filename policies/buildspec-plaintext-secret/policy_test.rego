package stagegate.policies.buildspec_plaintext_secret_test

import data.stagegate.lib
import data.stagegate.policies.buildspec_plaintext_secret

variable(name, value, secret) := {
	"name": name,
	"value": value,
	"type": "PLAINTEXT",
	"secret": secret,
	"source": {"file": "buildspec.yml", "path": sprintf("/env/variables/%s", [name])},
}

workspace(variables) := {"buildspecs": {"buildspec.yml": {
	"key": "buildspec.yml",
	"owner": "developer",
	"variables": variables,
	"source": {"file": "buildspec.yml", "path": ""},
}}}

test_a_secret_is_denied_at_its_variable_naming_it_never_its_value if {
	findings := buildspec_plaintext_secret.deny with input as workspace([
		variable("NODE_ENV", "production", null),
		variable("DEPLOY_KEY", "ghp_0123", "its value looks like a GitHub token"),
	])
	count(findings) == 1
	some finding in findings
	contains(finding.message, "DEPLOY_KEY")
	contains(finding.message, "a GitHub token")
	not contains(finding.message, "ghp_")
	finding.redact == ["ghp_0123"]
	lib.target(finding.at[0]) == {"file": "buildspec.yml", "path": "/env/variables/DEPLOY_KEY"}
}

test_variables_that_are_no_secret_pass if {
	count(buildspec_plaintext_secret.deny) == 0 with input as workspace([variable("PORT", "8080", null)])
}
