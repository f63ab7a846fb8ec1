# METADATA
# title: Locked buildspec runs code from the repository
# description: |
#   A locked action's buildspec is inline in its CodeBuild project so that the repository
#   cannot change what it runs. A command in it that runs a program or script from the
#   checked-out source (`./scripts/scan.sh`, `bash ci/x.sh`), or a build tool or package
#   manager that runs the repository's own build files and scripts (`make`, `./gradlew`,
#   `mvn`, `npm ci`, `npm run`), hands that control back to the repository: it decides what
#   the scan does, or whether it runs at all. A program the buildspec itself downloaded and
#   unpacked is not repository code.
# related_resources:
#   - https://aws.amazon.com/blogs/devops/balancing-governance-and-agility-with-aws-codebuild/
#   - https://docs.npmjs.com/cli/using-npm/scripts
# custom:
#   id: locked-buildspec-repo-code
#   severity: error
#   waivable: false
#   remediation: |
#     Run the scanner itself from the inline buildspec, installed from a pinned release,
#     with the options written in the buildspec.
#
#     Before:
#       - ./gradlew dependencyCheckAnalyze
#     After:
#       - curl -sSfLo dc.zip https://github.com/jeremylong/DependencyCheck/releases/download/v10.0.4/dependency-check-10.0.4-release.zip
#       - unzip -q dc.zip
#       - ./dependency-check/bin/dependency-check.sh --scan . --failOnCVSS 7
package stagegate.policies.locked_buildspec_repo_code

import data.stagegate.lib

deny contains finding if {
	some action in lib.actions
	action.locked
	project := lib.project_of(action)
	spec := input.buildspecs[project.buildspec.document]
	some use in spec.repository_code
	finding := {
		"message": sprintf(
			"locked action %s runs repository code in its platform-owned buildspec: %s",
			[lib.action_label(action), use.reason],
		),
		"at": [
			{"source": use.source, "label": "runs code from the repository"},
			{"source": action.source, "label": "locked action"},
		],
	}
}
