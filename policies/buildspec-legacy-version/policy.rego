# METADATA
# title: Buildspec uses the legacy version 0.1
# description: |
#   In buildspec version 0.1 CodeBuild runs every build command in its own shell instance,
#   so `cd`, exported variables and `set -e` from one command are lost by the next: a
#   command can run in the wrong directory, without the environment the previous one set,
#   or silently skip the checks it depended on. Version 0.2 runs all commands of a build
#   in the same shell and is the version AWS documents and supports.
# related_resources:
#   - https://docs.aws.amazon.com/codebuild/latest/userguide/build-env-ref-cmd.html
#   - https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html
# custom:
#   id: buildspec-legacy-version
#   severity: warning
#   remediation: |
#     Set `version: 0.2` and check commands that relied on running in a fresh shell (a
#     `cd` now carries over to the next command).
#
#     Before:
#       version: 0.1
#       phases:
#         build:
#           commands:
#             - cd app && make
#     After:
#       version: 0.2
#       phases:
#         build:
#           commands:
#             - cd app && make
package stagegate.policies.buildspec_legacy_version

import data.stagegate.lib

deny contains finding if {
	some spec in input.buildspecs
	is_string(spec.version)
	trim_space(spec.version) == "0.1"
	finding := {
		"message": sprintf(
			"%s uses buildspec version 0.1, which runs each command in its own shell; use version 0.2",
			[lib.buildspec_label(spec)],
		),
		"at": [{"source": spec.source, "below": ["version"], "label": "legacy version 0.1"}],
	}
}
