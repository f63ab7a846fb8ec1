# METADATA
# title: Buildspec runtime version is not pinned
# description: |
#   `phases.install.runtime-versions` set to `latest` or to a major version only (`3.x`,
#   `18.x`) lets CodeBuild pick whatever the build image currently ships: the same commit
#   builds with a different compiler or interpreter when the image is updated, and a build
#   cannot be reproduced. Pin the exact version the project is tested with.
# related_resources:
#   - https://docs.aws.amazon.com/codebuild/latest/userguide/runtime-versions.html
#   - https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html#build-spec.phases.install.runtime-versions
#   - https://docs.aws.amazon.com/codebuild/latest/userguide/available-runtimes.html
# custom:
#   id: buildspec-unpinned-runtime
#   severity: warning
#   remediation: |
#     Pin each runtime to a version the build image provides (see the image's available
#     runtimes), and update it on purpose.
#
#     Before:
#       phases:
#         install:
#           runtime-versions:
#             python: 3.x
#             java: latest
#     After:
#       phases:
#         install:
#           runtime-versions:
#             python: 3.12
#             java: corretto21
package stagegate.policies.buildspec_unpinned_runtime

import data.stagegate.lib

deny contains finding if {
	some spec in input.buildspecs
	runtimes := spec.content.phases.install["runtime-versions"]
	is_object(runtimes)
	some runtime, version in runtimes
	is_string(version)
	floating(lower(trim_space(version)))
	finding := {
		"message": sprintf(
			"%s installs runtime %s at %s, so the version changes with the build image; pin an exact version",
			[lib.buildspec_label(spec), runtime, trim_space(version)],
		),
		"at": [{
			"source": spec.source,
			"below": ["phases", "install", "runtime-versions", runtime],
			"label": "unpinned runtime version",
		}],
	}
}

# `latest` or a major-version wildcard such as `18.x`: digits, then `.x`.
floating(version) if version == "latest"

floating(version) if {
	endswith(version, ".x")
	major := trim_suffix(version, ".x")
	major != ""
	trim_left(major, "0123456789") == ""
}
