# METADATA
# title: Locked buildspec lets a failure pass or runs a downloaded script
# description: |
#   The locked buildspec is the platform's gate: each of its commands must be able to fail
#   the build, and what it runs must be what the platform wrote. A command line that lets a
#   failure pass (`|| true`, `; exit 0`, `set +e`) can turn a failed download or scan into a
#   passing gate, and a script piped from the network into a shell runs whatever the server
#   sends that day. In a developer buildspec these are warnings (buildspec-masked-failure,
#   buildspec-remote-script); in a locked one they are errors.
# related_resources:
#   - https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html
#   - https://aws.amazon.com/blogs/devops/balancing-governance-and-agility-with-aws-codebuild/
# custom:
#   id: locked-buildspec-weakened
#   severity: error
#   waivable: false
#   remediation: |
#     Let every command of the locked buildspec fail the build, and install tools from a
#     pinned release (checked against a known digest) rather than piping a script to a shell.
#
#     Before:
#       - curl -sSL https://example.com/install.sh | sh
#       - ./scanner --scan . || true
#     After:
#       - curl -sSfLo scanner.zip https://example.com/releases/v1.2.3/scanner.zip
#       - echo "<sha256>  scanner.zip" | sha256sum -c -
#       - unzip -q scanner.zip && ./scanner/bin/scanner --scan .
package stagegate.policies.locked_buildspec_weakened

import data.stagegate.lib

deny contains finding if {
	some action in lib.actions
	action.locked
	project := lib.project_of(action)
	spec := input.buildspecs[project.buildspec.document]
	some weakness in spec.weakened
	finding := {
		"message": sprintf(
			"locked action %s runs a weakened command in its platform-owned buildspec: %s",
			[lib.action_label(action), weakness.reason],
		),
		"at": [
			{"source": weakness.source, "label": "weakens the locked buildspec"},
			{"source": action.source, "label": "locked action"},
		],
	}
}
