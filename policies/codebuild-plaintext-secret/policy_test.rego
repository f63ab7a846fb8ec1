package stagegate.policies.codebuild_plaintext_secret_test

import data.stagegate.lib
import data.stagegate.policies.codebuild_plaintext_secret

variable(name, type, secret, path) := {
	"name": name,
	"value": "hunter2",
	"type": type,
	"secret": secret,
	"source": {"file": "t.yaml", "path": path},
}

project(variables) := {
	"key": "t.yaml:Build",
	"name": "app-build",
	"environment": {"variables": variables},
}

action(provider, variables) := {
	"name": "Build",
	"stage": "Build",
	"provider": provider,
	"variables": variables,
	"source": {"file": "t.yaml", "path": "/Resources/Pipeline/Properties/Stages/1/Actions/0"},
}

workspace(projects, actions) := {
	"projects": {p.key: p | some p in projects},
	"pipelines": [{"stages": [{"actions": actions}]}],
}

test_a_plaintext_secret_of_a_project_is_denied_at_the_variable if {
	findings := codebuild_plaintext_secret.deny with input as workspace(
		[project([
			variable("DB_PASSWORD", "PLAINTEXT", "its name reads as a secret", "/Resources/Build/Properties/Environment/EnvironmentVariables/0"),
			variable("REGION", "PLAINTEXT", null, "/Resources/Build/Properties/Environment/EnvironmentVariables/1"),
		])],
		[],
	)
	count(findings) == 1
	some finding in findings
	finding.message == "CodeBuild project app-build sets environment variable DB_PASSWORD as PLAINTEXT (its name reads as a secret); use type PARAMETER_STORE or SECRETS_MANAGER"
	finding.redact == ["hunter2"]
	finding.at[0].source.path == "/Resources/Build/Properties/Environment/EnvironmentVariables/0"
}

test_secrets_held_in_a_store_pass if {
	count(codebuild_plaintext_secret.deny) == 0 with input as workspace(
		[project([
			variable("DB_PASSWORD", "SECRETS_MANAGER", "its name reads as a secret", "/p/0"),
			variable("API_KEY", "PARAMETER_STORE", "its name reads as a secret", "/p/1"),
		])],
		[],
	)
}

test_a_codebuild_action_variable_is_denied if {
	path := "/Resources/Pipeline/Properties/Stages/1/Actions/0/Configuration/EnvironmentVariables"
	findings := codebuild_plaintext_secret.deny with input as workspace(
		[],
		[action("CodeBuild", [variable("NPM_TOKEN", "plaintext ", "its name reads as a secret", path)])],
	)
	count(findings) == 1
	some finding in findings
	startswith(finding.message, "pipeline action Build/Build passes environment variable NPM_TOKEN")
	finding.at[0].source.path == path
}

test_variables_of_other_providers_pass if {
	count(codebuild_plaintext_secret.deny) == 0 with input as workspace(
		[],
		[action("Lambda", [variable("NPM_TOKEN", "PLAINTEXT", "its name reads as a secret", "/a")])],
	)
}
