# METADATA
# title: Locked action runs a buildspec the platform does not own
# description: |
#   A locked action (every SCA gate by default) must run commands that only the platform
#   can change. When its CodeBuild project reads the buildspec from the source repository
#   (a path, or the default buildspec.yml when none is set) or from S3, whoever can push to
#   the repository or write the bucket can change or skip the scan.
# related_resources:
#   - https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html
#   - https://aws.amazon.com/blogs/devops/balancing-governance-and-agility-with-aws-codebuild/
# custom:
#   id: locked-buildspec-not-inline
#   severity: error
#   waivable: false
#   remediation: |
#     Write the buildspec inline in the CodeBuild project, and deny developer roles
#     codebuild:StartBuild with a buildspec override.
#
#     Before:
#       Source:
#         Type: CODEPIPELINE
#         BuildSpec: buildspec-sca.yml
#     After:
#       Source:
#         Type: CODEPIPELINE
#         BuildSpec: |
#           version: 0.2
#           phases:
#             build:
#               commands:
#                 - ./dependency-check/bin/dependency-check.sh --scan . --failOnCVSS 7
package stagegate.policies.locked_buildspec_not_inline

import data.stagegate.lib

deny contains finding if {
	some action in lib.actions
	action.locked
	project := lib.project_of(action)
	project.buildspec.kind != "inline"
	finding := {
		"message": sprintf(
			"locked action %s runs project %s whose buildspec is %s, so it is not owned by the platform",
			[lib.action_label(action), project_name(project), describe(project.buildspec)],
		),
		"at": [
			{"source": project.buildspec.source, "label": "buildspec is not inline"},
			{"source": action.source, "label": "locked action"},
		],
	}
}

project_name(project) := project.name if project.name != null

else := project.logical_id if project.logical_id != null

else := project.key

describe(spec) := sprintf("the repository file %s", [spec.path]) if spec.kind == "file"

else := "not set (buildspec.yml from the repository is used)" if spec.kind == "default"

else := sprintf("read from S3 (%s)", [spec.path]) if spec.kind == "s3"

else := sprintf("an expression that cannot be resolved (%s)", [spec.path])
