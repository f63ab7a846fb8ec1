# METADATA
# title: Secret written in plain text in a buildspec
# description: |
#   Values under `env.variables` are stored in the buildspec itself: in the source
#   repository (and its history, forks and clones) for a repo buildspec, in the project
#   configuration for an inline one, and they are shown in build logs and to anyone who can
#   read the project. A variable whose name reads as a secret (SECRET, TOKEN, PASSWORD,
#   API_KEY, PRIVATE_KEY, CREDENTIAL) or whose value looks like a known credential format
#   (AWS access key id, GitHub, GitLab, Docker Hub or Slack token, PEM private key) must be
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

default_name_pattern := `(?i)(secret|token|passw(or)?d|api_?key|private_?key|credential)`

name_pattern := lib.param("buildspec-plaintext-secret", "secret_name_pattern", default_name_pattern)

deny contains finding if {
	some spec in input.buildspecs
	variables := spec.content.env.variables
	is_object(variables)
	any_suspect(variables)
	some name, value in variables
	reason := secret_reason(name, value)
	finding := {
		"message": sprintf(
			"%s sets %s in env.variables in plain text (%s); read it from env.parameter-store or env.secrets-manager",
			[spec_label(spec), name, reason],
		),
		"at": [{
			"source": spec.source,
			"below": ["env", "variables", name],
			"label": "plain-text secret",
		}],
		"redact": [sprintf("%v", [value])],
	}
}

# Why a variable is a secret, never quoting its value; undefined when it is not one.
secret_reason(name, value) := reason if {
	text := value_text(value)
	# the cheap test first: most variables are not secrets at all
	reason := why(name, text)
	not reference(text)
}

why(name, text) := sprintf("its value looks like %s", [kind]) if {
	kind := token_kind(text)
	# a guard, not a no-op: the bytecode machine fails a body on an undefined value
	# only when a statement tests it, and otherwise would skip the `else`
	is_string(kind)
} else := "its name reads as a secret" if {
	name_reads_as_secret(name)
}

# The default pattern as lower-case literals: `(?i)` would make the regex engine build an
# automaton per call, a plain alternation is a literal search.
default_name_words := `secret|token|password|passwd|api_key|apikey|private_key|privatekey|credential`

name_reads_as_secret(name) if {
	name_pattern == default_name_pattern
	regex.match(default_name_words, lower(name))
}

name_reads_as_secret(name) if {
	name_pattern != default_name_pattern
	is_string(name_pattern)
	regex.match(name_pattern, name)
}

token_kind(text) := kind if {
	might_be_token(text)
	kind := token_kind_of(text)
}

token_kind_of(text) := "an AWS access key id" if {
	regex.match(`AKIA[0-9A-Z]{16}`, text)
} else := "a GitHub token" if {
	regex.match(`(ghp_|github_pat_)[A-Za-z0-9]`, text)
} else := "a GitLab token" if {
	regex.match(`glpat-[A-Za-z0-9_-]`, text)
} else := "a Docker Hub token" if {
	regex.match(`dckr_pat_[A-Za-z0-9_-]`, text)
} else := "a Slack token" if {
	regex.match(`xox[abprs]-[A-Za-z0-9]`, text)
} else := "a private key" if {
	regex.match(`-----BEGIN .*PRIVATE KEY-----`, text)
}

value_text(value) := value if is_string(value)

else := "" if value == null

else := sprintf("%v", [value])

# Not a secret in itself: a dynamic reference, a masked value, or nothing.
reference(text) if contains(text, "{{resolve:")

# nothing but blanks and asterisks (a masked value)
reference(text) if trim_space(trim_left(trim_space(text), "*")) == ""

spec_label(spec) := sprintf("the inline buildspec in %s", [spec.source.file]) if spec.owner == "platform"

else := sprintf("buildspec %s", [spec.source.file])

# One test for every token format below: most values match none.
# A plain alternation of literals: the regex engine answers it with a literal search and
# no automaton to warm up.
token_prefixes := `AKIA|ghp_|github_pat_|glpat-|dckr_pat_|xox|-----BEGIN`

might_be_token(text) if regex.match(token_prefixes, text)

# Whether any of these variables may hold a secret: one test over the JSON text of all of
# them (every name and value is in it), before the tests of each variable. Most variables
# hold none, and on the bytecode machine a function call per variable costs more than the
# whole text. JSON escapes none of the characters of the words and prefixes, so nothing
# that matches alone is missed.
any_suspect(_) if name_pattern != default_name_pattern

any_suspect(variables) if suspect_text(json.marshal(variables))

suspect_text(text) if regex.match(default_name_words, lower(text))

suspect_text(text) if regex.match(token_prefixes, text)
