package stagegate.policies.codebuild_plaintext_secret_test

import data.stagegate.lib
import data.stagegate.policies.codebuild_plaintext_secret

variable(i, name, value, type) := {
	"name": name,
	"value": value,
	"type": type,
	"source": {"file": "t.yaml", "path": sprintf("/Resources/Build/Properties/Environment/EnvironmentVariables/%d", [i])},
}

projects(variables) := {"projects": {"t.yaml:Build": {
	"key": "t.yaml:Build",
	"name": "app-build",
	"logical_id": "Build",
	"environment": {"privileged_mode": false, "image": "aws/codebuild/standard:7.0", "variables": variables},
	"source": {"file": "t.yaml", "path": "/Resources/Build"},
}}}

pipeline(format, provider, variables) := {"pipelines": [{
	"name": "app",
	"format": format,
	"stages": [{"index": 0, "name": "Build", "actions": [{
		"name": "Build",
		"stage": "Build",
		"pipeline_index": 0,
		"stage_index": 0,
		"provider": provider,
		"configuration": {"ProjectName": "app-build", "EnvironmentVariables": variables},
		"source": {"file": "p.json", "path": "/pipeline/stages/0/actions/0"},
	}]}],
}]}

test_plaintext_secret_names_and_values_are_denied if {
	findings := codebuild_plaintext_secret.deny with input as projects([
		variable(0, "DB_PASSWORD", "hunter2", "PLAINTEXT"),
		variable(1, "DEPLOY", "AKIAIOSFODNN7EXAMPLE", "PLAINTEXT"),
		variable(2, "NODE_ENV", "production", "PLAINTEXT"),
	])
	count(findings) == 2
	paths := {lib.target(f.at[0]).path | some f in findings}
	paths == {
		"/Resources/Build/Properties/Environment/EnvironmentVariables/0",
		"/Resources/Build/Properties/Environment/EnvironmentVariables/1",
	}
}

test_store_types_references_and_masked_values_pass if {
	count(codebuild_plaintext_secret.deny) == 0 with input as projects([
		variable(0, "DB_PASSWORD", "/app/db/password", "PARAMETER_STORE"),
		variable(1, "GITHUB_TOKEN", "ci/github:token", "SECRETS_MANAGER"),
		variable(2, "API_KEY", "{{resolve:ssm-secure:/app/api-key:1}}", "PLAINTEXT"),
		variable(3, "SONAR_TOKEN", "****", "PLAINTEXT"),
		variable(4, "NPM_TOKEN", "", "PLAINTEXT"),
	])
}

test_message_never_contains_the_value if {
	some finding in codebuild_plaintext_secret.deny with input as projects([variable(0, "CI_BOT", "ghp_0123456789abcdefghijABCDEFGHIJ012345", "PLAINTEXT")])
	contains(finding.message, "CI_BOT")
	contains(finding.message, "a GitHub token")
	not contains(finding.message, "ghp_")
}

test_pipeline_action_variables_are_denied_at_the_configuration_entry if {
	findings := codebuild_plaintext_secret.deny with input as pipeline("api", "CodeBuild", [
		{"name": "SNYK_TOKEN", "value": "0b2f9c4e-1234", "type": "PLAINTEXT"},
		{"name": "STAGE", "value": "prod", "type": "PLAINTEXT"},
		{"name": "NPM_TOKEN", "value": "/ci/npm", "type": "PARAMETER_STORE"},
	])
	count(findings) == 1
	some finding in findings
	lib.target(finding.at[0]) == {"file": "p.json", "path": "/pipeline/stages/0/actions/0/configuration/EnvironmentVariables"}
	not contains(finding.message, "0b2f9c4e")
}

test_cloudformation_actions_use_the_pascal_case_entry if {
	some finding in codebuild_plaintext_secret.deny with input as pipeline("cloudformation", "CodeBuild", [{"name": "API_KEY", "value": "x1", "type": "PLAINTEXT"}])
	lib.target(finding.at[0]).path == "/pipeline/stages/0/actions/0/Configuration/EnvironmentVariables"
}

test_undecoded_variables_and_other_providers_pass if {
	count(codebuild_plaintext_secret.deny) == 0 with input as pipeline("cloudformation", "CodeBuild", "{\"Fn::Sub\": \"...\"}")
	count(codebuild_plaintext_secret.deny) == 0 with input as pipeline("api", "Manual", [{"name": "API_KEY", "value": "x1", "type": "PLAINTEXT"}])
}

test_name_pattern_is_a_parameter if {
	count(codebuild_plaintext_secret.deny) == 1 with input as projects([
		variable(0, "DB_PASSWORD", "hunter2", "PLAINTEXT"),
		variable(1, "VAULT_ROLE_ID", "abc", "PLAINTEXT"),
	])
		with data.stagegate.params as {"codebuild-plaintext-secret": {"secret_name_pattern": `(?i)^vault_`}}
}

test_one_secret_among_ordinary_variables_is_found if {
	count(codebuild_plaintext_secret.deny) == 1 with input as projects([
		variable(0, "NODE_ENV", "production", "PLAINTEXT"),
		variable(1, "PORT", 8080, "PLAINTEXT"),
		variable(2, "DEPLOY", "ghp_0123456789abcdefghijABCDEFGHIJ012345", "PLAINTEXT"),
		variable(3, "REGION", null, "PLAINTEXT"),
	])
}

test_the_workspace_search_sees_projects_without_variables_and_every_action if {
	workspace := {
		"projects": {
			"t.yaml:Bare": {"key": "t.yaml:Bare", "name": "bare", "source": {"file": "t.yaml", "path": "/Resources/Bare"}},
			"t.yaml:Odd": {"key": "t.yaml:Odd", "name": "odd", "environment": null, "source": {"file": "t.yaml", "path": "/Resources/Odd"}},
		},
		"pipelines": pipeline("api", "CodeBuild", [
			{"name": "STAGE", "value": "prod", "type": "PLAINTEXT"},
			{"name": "DEPLOY_KEY", "value": "xoxb-0123456789", "type": "PLAINTEXT"},
		]).pipelines,
	}
	findings := codebuild_plaintext_secret.deny with input as workspace
	count(findings) == 1
	some finding in findings
	contains(finding.message, "a Slack token")
}

test_a_workspace_without_suspect_words_passes if {
	workspace := object.union(
		projects([variable(0, "NODE_ENV", "production", "PLAINTEXT"), variable(1, "PORT", 8080, "PLAINTEXT")]),
		pipeline("api", "CodeBuild", [{"name": "STAGE", "value": "prod", "type": "PLAINTEXT"}]),
	)
	not codebuild_plaintext_secret.suspect_workspace with input as workspace
	count(codebuild_plaintext_secret.deny) == 0 with input as workspace
}
