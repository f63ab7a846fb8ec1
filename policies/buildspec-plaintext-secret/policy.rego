# METADATA
# title: Secret written in plain text in a buildspec
# description: |
#   Values under `env.variables` are stored in the buildspec itself: in the source
#   repository (and its history, forks and clones) for a repo buildspec, in the project
#   configuration for an inline one, and they are shown in build logs and to anyone who can
#   read the project. A variable whose name reads as a secret (SECRET, TOKEN, PASSWORD,
#   PASS, API_KEY, PRIVATE_KEY, CREDENTIAL) or whose value looks like a known credential format
#   (AWS access key id, GitHub, GitLab, Docker Hub, Slack or npm token, Slack webhook URL,
#   URL with a password, PEM private key) must be
#   read from Parameter Store or Secrets Manager instead. CloudFormation dynamic references
#   (`{{resolve:...}}`), masked values (`****`) and empty values are not secrets. The name
#   pattern is the governance parameter `secret_name_pattern` (a regular expression; the
#   default is case-insensitive).
# related_resources:
#   - https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html#build-spec.env
#   - https://docs.aws.amazon.com/codebuild/latest/userguide/build-env-ref-env-vars.html
#   - https://docs.aws.amazon.com/codebuild/latest/APIReference/API_EnvironmentVariable.html
# custom:
#   id: buildspec-plaintext-secret
#   severity: error
#   parameters:
#     secret_name_pattern: '(?i)(secret|token|passw(or)?d|(^|_)pass(_|$)|api_?key|private_?key|credential)'
#   remediation: |
#     Store the secret in Parameter Store (SecureString) or Secrets Manager, revoke the
#     exposed value, and read it through `env.parameter-store` or `env.secrets-manager`.
#
#     Before:
#       env:
#         variables:
#           NPM_TOKEN: npm_3f9a...
#     After:
#       env:
#         parameter-store:
#           NPM_TOKEN: /app/ci/npm-token
#         secrets-manager:
#           DB_PASSWORD: app/ci/db:password
package stagegate.policies.buildspec_plaintext_secret

import data.stagegate.lib

# A variable of `env.variables` that reads as a secret (`secret` says why; the name
# pattern is the governance parameter, applied by stagegate).
deny contains finding if {
	some spec in input.buildspecs
	some variable in spec.variables
	variable.secret != null
	finding := {
		"message": sprintf(
			"%s sets %s in env.variables in plain text (%s); read it from env.parameter-store or env.secrets-manager",
			[lib.buildspec_label(spec), variable.name, variable.secret],
		),
		"at": [{"source": variable.source, "label": "plain-text secret"}],
		"redact": [variable.value],
	}
}
