# METADATA
# title: Secret passed to CodeBuild as a PLAINTEXT environment variable
# description: |
#   A PLAINTEXT environment variable of a CodeBuild project, or of a CodePipeline CodeBuild
#   action (`EnvironmentVariables`), is stored in clear in the project or pipeline
#   definition: anyone who can read the project or pipeline (`BatchGetProjects`,
#   `GetPipeline`), the template or its stack sees it, and it shows up in build logs. A
#   variable whose name reads as a secret (SECRET, TOKEN, PASSWORD, API_KEY, PRIVATE_KEY,
#   CREDENTIAL) or whose value looks like a known credential format (AWS access key id,
#   GitHub, GitLab, Docker Hub or Slack token, PEM private key) must be of type
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

default_name_pattern := `(?i)(secret|token|passw(or)?d|api_?key|private_?key|credential)`

name_pattern := lib.param("codebuild-plaintext-secret", "secret_name_pattern", default_name_pattern)

# A project's environment variable.
deny contains finding if {
	suspect_workspace
	some project in input.projects
	variables := project.environment.variables
	any_suspect(variables)
	some variable in variables
	plaintext(variable.type)
	reason := secret_reason(variable.name, variable.value)
	finding := {
		"message": sprintf(
			"CodeBuild project %s sets environment variable %s as PLAINTEXT (%s); use type PARAMETER_STORE or SECRETS_MANAGER",
			[project_name(project), variable.name, reason],
		),
		"at": [{"source": variable.source, "label": "plain-text secret"}],
		"redact": [variable.value],
	}
}

# An environment variable a pipeline CodeBuild action passes to its build.
deny contains finding if {
	suspect_workspace
	some action in lib.actions
	action.provider == "CodeBuild"
	variables := action.configuration.EnvironmentVariables
	is_array(variables)
	any_suspect(variables)
	some variable in variables
	is_object(variable)
	plaintext(object.get(variable, "type", "PLAINTEXT"))
	name := text_of(object.get(variable, "name", ""))
	reason := secret_reason(name, object.get(variable, "value", ""))
	finding := {
		"message": sprintf(
			"pipeline action %s passes environment variable %s to CodeBuild as PLAINTEXT (%s); use type PARAMETER_STORE or SECRETS_MANAGER",
			[lib.action_label(action), name, reason],
		),
		"at": [{
			"source": action.source,
			"below": [configuration_key(action), "EnvironmentVariables"],
			"label": "plain-text secret",
		}],
		"redact": [sprintf("%v", [object.get(variable, "value", "")])],
	}
}

plaintext(type) if {
	is_string(type)
	upper(trim_space(type)) == "PLAINTEXT"
}

# The action's Configuration entry (`configuration` in API JSON).
configuration_key(action) := "configuration" if {
	input.pipelines[action.pipeline_index].format == "api"
} else := "Configuration"

# Why a variable is a secret, never quoting its value; undefined when it is not one.
secret_reason(name, value) := reason if {
	text := text_of(value)
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

text_of(value) := value if is_string(value)

else := "" if value == null

else := sprintf("%v", [value])

# Not a secret in itself: a dynamic reference, a masked value, or nothing.
reference(text) if contains(text, "{{resolve:")

# nothing but blanks and asterisks (a masked value)
reference(text) if trim_space(trim_left(trim_space(text), "*")) == ""

project_name(project) := project.name if is_string(project.name)

else := project.logical_id if is_string(project.logical_id)

else := project.key

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

# The same test once over every variable list of the workspace, projects' and pipeline
# actions' together: in most workspaces no list holds a suspect word, and then no list is
# serialized and searched on its own.
suspect_workspace if name_pattern != default_name_pattern

suspect_workspace if suspect_text(json.marshal([
	[object.get(project, ["environment", "variables"], []) | some project in input.projects],
	[object.get(action, ["configuration", "EnvironmentVariables"], []) |
		some action in lib.actions
		action.provider == "CodeBuild"
	],
]))

any_suspect(variables) if suspect_text(json.marshal(variables))

suspect_text(text) if regex.match(default_name_words, lower(text))

suspect_text(text) if regex.match(token_prefixes, text)
