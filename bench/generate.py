#!/usr/bin/env python3
"""Writes a deterministic benchmark corpus for `stagegate audit`.

    bench/generate.py N OUT

OUT/ws-NNNNN/ is one workspace per index: a CloudFormation template with one pipeline
(3-6 stages) and 2-6 CodeBuild projects (inline block-scalar buildspecs, repo-file
buildspecs, none), short-form tags, IAM roles, plus the developer's buildspec.yml.
The same N always gives the same bytes (seeded by N).
"""
import os
import random
import sys

# what a verified SCA gate runs: a scanner that can fail the build, fetched by the buildspec
# itself when it is not on the image (a program from the repository would not be a gate)
TOOLS = ["trivy fs --exit-code 1 .",
         "curl -sSfLo dc.zip https://github.com/jeremylong/DependencyCheck/releases/download/v10.0.4/dependency-check-10.0.4-release.zip"
         " && unzip -q dc.zip && ./dependency-check/bin/dependency-check.sh --scan . --failOnCVSS 7",
         "snyk test --severity-threshold=high", "grype dir:. --fail-on high", "osv-scanner -r ."]
RUNTIMES = ["python: 3.12", "nodejs: 20", "java: corretto21", "python: 3.x", "golang: 1.22", "nodejs: latest"]


def role(name, service, rng):
    statements = []
    for s in range(rng.randint(2, 5)):
        statements.append(f"""              - Effect: Allow
                Action:
                  - s3:GetObject
                  - s3:PutObject
                  - logs:CreateLogStream
                  - logs:PutLogEvents
                Resource:
                  - !Sub arn:aws:s3:::${{ArtifactBucket}}/*
                  - !Sub arn:aws:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:/aws/codebuild/{name}-{s}:*""")
    return f"""  {name}:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {{Service: {service}.amazonaws.com}}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: {name}-policy
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
""" + "\n".join(statements) + "\n"


def project(i, p, kind, rng):
    name = f"Project{p}"
    env = "\n".join(f"""          - Name: VAR_{k}
            Value: value-{i}-{p}-{k}""" for k in range(rng.randint(1, 6)))
    head = f"""  {name}:
    Type: AWS::CodeBuild::Project
    Properties:
      Name: !Sub ${{AWS::StackName}}-{('sca' if kind == 'sca' else 'build')}-{p}
      ServiceRole: !GetAtt BuildRole.Arn
      Artifacts:
        Type: CODEPIPELINE
      Environment:
        Type: LINUX_CONTAINER
        ComputeType: BUILD_GENERAL1_SMALL
        Image: aws/codebuild/standard:7.0
        PrivilegedMode: {str(rng.random() < 0.2).lower()}
        EnvironmentVariables:
{env}
      Source:
        Type: CODEPIPELINE
"""
    if kind == "sca" or (kind == "other" and rng.random() < 0.4):
        cmds = "\n".join(f"              - {rng.choice(TOOLS) if kind == 'sca' else 'make step-' + str(c)}"
                         for c in range(rng.randint(2, 6)))
        return head + f"""        BuildSpec: |
          version: 0.2
          phases:
            install:
              runtime-versions:
                {rng.choice(RUNTIMES)}
            build:
              commands:
{cmds}
"""
    if rng.random() < 0.5:
        return head + f"        BuildSpec: ci/buildspec-{p}.yml\n"
    return head


def template(i, rng):
    n_projects = rng.randint(2, 6)
    kinds = ["sca"] + ["other"] * (n_projects - 1)
    parts = [f"""AWSTemplateFormatVersion: "2010-09-09"
Description: Application pipeline {i} (generated benchmark input)
Parameters:
  ConnectionArn:
    Type: String
    Default: arn:aws:codeconnections:eu-west-1:111122223333:connection/{i:08x}
  RepositoryId:
    Type: String
    Default: acme/app-{i}
Resources:
  ArtifactBucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault: {{SSEAlgorithm: aws:kms}}
"""]
    parts.append(role("BuildRole", "codebuild", rng))
    parts.append(role("PipelineRole", "codepipeline", rng))
    for p, kind in enumerate(kinds):
        parts.append(project(i, p, kind, rng))
    n_stages = rng.randint(3, 6)
    stages = [f"""        - Name: Source
          Actions:
            - Name: Source
              ActionTypeId: {{Category: Source, Owner: AWS, Provider: CodeStarSourceConnection, Version: 1}}
              Configuration:
                ConnectionArn: !Ref ConnectionArn
                FullRepositoryId: !Ref RepositoryId
                BranchName: main
              OutputArtifacts: [{{Name: Src}}]"""]
    for s in range(1, n_stages):
        actions = []
        for a, p in enumerate(range(n_projects) if s == 1 else [rng.randrange(n_projects)]):
            category = "Test" if kinds[p] == "sca" else rng.choice(["Build", "Test", "Deploy"])
            order = 1 if kinds[p] == "sca" else rng.choice([1, 2, 2, 3])
            actions.append(f"""            - Name: {'SCA' if kinds[p] == 'sca' else 'Step'}{s}x{a}
              ActionTypeId:
                Category: {category}
                Owner: AWS
                Provider: CodeBuild
                Version: 1
              RunOrder: {order}
              Configuration:
                ProjectName: !Ref Project{p}
                EnvironmentVariables: '[{{"name":"COMMIT","value":"#{{SourceVariables.CommitId}}","type":"PLAINTEXT"}}]'
              InputArtifacts: [{{Name: Src}}]""")
        stages.append(f"        - Name: Stage{s}\n          Actions:\n" + "\n".join(actions))
    parts.append(f"""  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      Name: !Sub ${{AWS::StackName}}-pipeline
      PipelineType: V2
      RoleArn: !GetAtt PipelineRole.Arn
      ArtifactStore:
        Type: S3
        Location: !Ref ArtifactBucket
      Stages:
""" + "\n".join(stages) + "\n")
    return "".join(parts)


def buildspec(i, rng):
    cmds = "\n".join(f"      - echo step {c} && make target-{c} ARGS=\"--jobs 2 --verbose\"" for c in range(rng.randint(10, 40)))
    return f"""version: 0.2
env:
  variables:
    APP_NAME: app-{i}
    LOG_LEVEL: info
  parameter-store:
    NPM_TOKEN: /ci/app-{i}/npm-token
phases:
  install:
    runtime-versions:
      {rng.choice(RUNTIMES)}
    commands:
      - pip install -r requirements.txt
  build:
    commands:
{cmds}
reports:
  unit-tests:
    files: ["reports/*.xml"]
    file-format: JUNITXML
artifacts:
  files: ["dist/**/*"]
"""


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(n)
    total = 0
    for i in range(n):
        d = os.path.join(out, f"ws-{i:05d}")
        os.makedirs(d, exist_ok=True)
        for name, text in (("pipeline.yaml", template(i, rng)), ("buildspec.yml", buildspec(i, rng))):
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
            total += len(text)
    print(f"{n} workspaces, {2 * n} files, {total / 1e6:.1f} MB in {out}")


if __name__ == "__main__":
    main()
