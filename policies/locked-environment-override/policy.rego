# METADATA
# title: Locked action's environment changes what its buildspec runs
# description: |
#   The locked buildspec is the platform's, but environment variables of the pipeline
#   action or the CodeBuild project run before it or change what its commands mean:
#   BASH_ENV and ENV name a script every shell runs first, PATH decides which program a
#   command name runs, LD_PRELOAD and NODE_OPTIONS inject code into every process. A value
#   taken from a build action's output variables (`#{BuildVariables.X}`) is set by the
#   repository's buildspec. Either way, what the locked scan does is no longer decided by
#   the platform.
# related_resources:
#   - https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-CodeBuild.html
#   - https://www.gnu.org/software/bash/manual/html_node/Bash-Startup-Files.html
# custom:
#   id: locked-environment-override
#   severity: error
#   waivable: false
#   remediation: |
#     Remove the variable from the locked action and its project; set what the scan needs
#     inside the inline buildspec, from values the platform controls.
#
#     Before:
#       EnvironmentVariables: '[{"name":"BASH_ENV","value":"./ci/env.sh"}]'
#     After:
#       # no EnvironmentVariables on the locked action
package stagegate.policies.locked_environment_override

import data.stagegate.lib

deny contains finding if {
	some action in lib.actions
	action.locked
	some variable in action.environment_overrides
	finding := {
		"message": sprintf(
			"locked action %s runs with environment variable %s=%s, which changes what its buildspec runs",
			[lib.action_label(action), variable.name, variable.value],
		),
		"at": [
			{"source": variable.source, "label": "changes what the locked buildspec runs"},
			{"source": action.source, "label": "locked action"},
		],
	}
}
