# METADATA
# title: Secret passed to CodeBuild as a PLAINTEXT environment variable
# description: |
#   A PLAINTEXT environment variable of a CodeBuild project, or of a CodePipeline CodeBuild
#   action (`EnvironmentVariables`), is stored in clear in the project or pipeline
#   definition: anyone who can read the project or pipeline (`BatchGetProjects`,
#   `GetPipeline`), the template or its stack sees it, and it shows up in build logs. A
#   variable whose name reads as a secret (SECRET, TOKEN, PASSWORD, PASS, API_KEY,
#   PRIVATE_KEY, CREDENTIAL) or whose value looks like a known credential format (AWS access key id,
#   GitHub, GitLab, Docker Hub, Slack or npm token, Slack webhook URL, URL with a
#   password, PEM private key) must be of type
#   PARAMETER_STORE or SECRETS_MANAGER. CloudFormation dynamic references
#   (`{{resolve:...}}`), masked values (`****`) and empty values are not secrets. The name
#   pattern is the governance parameter `secret_name_pattern` (a regular expression; the
#   default is case-insensitive).
# related_resources:
#   - https://docs.aws.amazon.com/codebuild/latest/APIReference/API_EnvironmentVariable.html
#   - https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-codebuild-project-environmentvariable.html
#   - https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-CodeBuild.html
#   - https://docs.aws.amazon.com/securityhub/latest/userguide/codebuild-controls.html
# custom:
#   id: codebuild-plaintext-secret
#   severity: error
#   parameters:
#     secret_name_pattern: '(?i)(secret|token|passw(or)?d|(^|_)pass(_|$)|api_?key|private_?key|credential)'
#   remediation: |
#     Store the secret in Parameter Store (SecureString) or Secrets Manager, revoke the
#     exposed value, and pass its name with type PARAMETER_STORE or SECRETS_MANAGER.
#
#     Before:
#       EnvironmentVariables:
#         - Name: GITHUB_TOKEN
#           Type: PLAINTEXT
#           Value: ghp_...
#     After:
#       EnvironmentVariables:
#         - Name: GITHUB_TOKEN
#           Type: SECRETS_MANAGER
#           Value: ci/github:token
package stagegate.policies.codebuild_plaintext_secret

import data.stagegate.lib

# A project's environment variable.
deny contains finding if {
	some project in input.projects
	some variable in project.environment.variables
	plaintext_secret(variable)
	finding := {
		"message": sprintf(
			"CodeBuild project %s sets environment variable %s as PLAINTEXT (%s); use type PARAMETER_STORE or SECRETS_MANAGER",
			[lib.project_label(project), variable.name, variable.secret],
		),
		"at": [{"source": variable.source, "label": "plain-text secret"}],
		"redact": [variable.value],
	}
}

# An environment variable a pipeline CodeBuild action passes to its build.
deny contains finding if {
	some action in lib.actions
	action.provider == "CodeBuild"
	some variable in action.variables
	plaintext_secret(variable)
	finding := {
		"message": sprintf(
			"pipeline action %s passes environment variable %s to CodeBuild as PLAINTEXT (%s); use type PARAMETER_STORE or SECRETS_MANAGER",
			[lib.action_label(action), variable.name, variable.secret],
		),
		"at": [{"source": variable.source, "label": "plain-text secret"}],
		"redact": [variable.value],
	}
}

# A variable stored in clear whose name or value reads as a secret (`secret` says why).
plaintext_secret(variable) if {
	variable.secret != null
	upper(trim_space(variable.type)) == "PLAINTEXT"
}
