package stagegate.policies.buildspec_plaintext_secret_test

import data.stagegate.lib
import data.stagegate.policies.buildspec_plaintext_secret

workspace(variables) := {"buildspecs": {"buildspec.yml": {
	"key": "buildspec.yml",
	"owner": "developer",
	"version": "0.2",
	"commands": [],
	"runtime_versions": {},
	"content": {"version": 0.2, "env": {"variables": variables}, "phases": {}},
	"source": {"file": "buildspec.yml", "path": ""},
}}}

test_secret_names_are_denied if {
	count(buildspec_plaintext_secret.deny) == 6 with input as workspace({
		"DB_PASSWORD": "hunter2",
		"db_passwd": "hunter2",
		"GITHUB_TOKEN": "abc",
		"STRIPE_API_KEY": "abc",
		"SigningPrivateKey": "abc",
		"client_secret": 42,
	})
}

test_token_values_are_denied_under_any_name if {
	count(buildspec_plaintext_secret.deny) == 7 with input as workspace({
		"A": "AKIAIOSFODNN7EXAMPLE",
		"B": "ghp_0123456789abcdefghijABCDEFGHIJ012345",
		"C": "github_pat_11ABCDEFG0123456789_abcdefghij",
		"D": "glpat-abcdefghij0123456789",
		"E": "dckr_pat_abcdefghij0123456789",
		"F": "xoxb-123456789012-abcdefghij",
		"G": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----",
	})
}

test_references_masked_and_empty_values_pass if {
	count(buildspec_plaintext_secret.deny) == 0 with input as workspace({
		"DB_PASSWORD": "{{resolve:secretsmanager:app/db:SecretString:password}}",
		"API_KEY": "****",
		"NPM_TOKEN": "",
		"GITHUB_TOKEN": null,
	})
}

test_ordinary_variables_pass if {
	count(buildspec_plaintext_secret.deny) == 0 with input as workspace({
		"NODE_ENV": "production",
		"PORT": 8080,
		"AWS_REGION": "eu-west-1",
	})
}

test_message_names_the_variable_never_the_value if {
	some finding in buildspec_plaintext_secret.deny with input as workspace({"DEPLOY_KEY": "ghp_0123456789abcdefghijABCDEFGHIJ012345"})
	contains(finding.message, "DEPLOY_KEY")
	contains(finding.message, "a GitHub token")
	not contains(finding.message, "ghp_")
	lib.target(finding.at[0]) == {"file": "buildspec.yml", "path": "/env/variables/DEPLOY_KEY"}
}

test_name_pattern_is_a_parameter if {
	count(buildspec_plaintext_secret.deny) == 1 with input as workspace({"DB_PASSWORD": "x", "VAULT_ROLE_ID": "y"})
		with data.stagegate.params as {"buildspec-plaintext-secret": {"secret_name_pattern": `(?i)vault`}}
}

test_buildspec_without_env_passes if {
	count(buildspec_plaintext_secret.deny) == 0 with input as {"buildspecs": {"b": {
		"owner": "developer",
		"content": {"version": 0.2, "env": "oops"},
		"source": {"file": "b.yml", "path": ""},
	}}}
}

test_one_secret_among_ordinary_variables_is_found if {
	count(buildspec_plaintext_secret.deny) == 2 with input as workspace({
		"NODE_ENV": "production",
		"PORT": 8080,
		"Db_Password": "hunter2",
		"UPLOAD": "AKIAIOSFODNN7EXAMPLE",
		"MASKED_TOKEN": "****",
	})
}
