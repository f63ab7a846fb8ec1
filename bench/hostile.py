#!/usr/bin/env python3
"""Writes the hostile inputs bench/hostile.sh times: an alias byte bomb, a pipeline at
CodePipeline's quotas (50 stages x 50 actions, half of them SCA gates), and a 60 MB template.
    python3 bench/hostile.py DIR
"""
import os
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)

# 1. aliases to a long string: a few KB that would expand to gigabytes
lines = ["AWSTemplateFormatVersion: '2010-09-09'", 'a: &a "' + "x" * 4000 + '"']
prev = "a"
for name in "bcdefghij":
    lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    prev = name
os.makedirs(f"{out}/byte-bomb", exist_ok=True)
open(f"{out}/byte-bomb/bomb.template.yaml", "w").write("\n".join(lines) + "\n")

# 2. a pipeline at the quotas: every build is parallel to 25 gates of its stage
head = """Resources:
  Gate:
    Type: AWS::CodeBuild::Project
    Properties:
      Name: platform-sca
      Source:
        Type: CODEPIPELINE
        BuildSpec: |
          version: 0.2
          phases:
            build:
              commands:
                - osv-scanner -r .
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      Name: big
      Stages:
        - Name: Source
          Actions:
            - Name: Source
              ActionTypeId: {Category: Source, Owner: AWS, Provider: S3, Version: 1}
              OutputArtifacts: [{Name: Src}]
"""
body = []
for s in range(1, 50):
    body += [f"        - Name: S{s}", "          Actions:"]
    for a in range(50):
        gate = a % 2 == 0
        body += [
            f"            - Name: {'Sca' if gate else 'Build'}{a}",
            f"              ActionTypeId: {{Category: {'Test' if gate else 'Build'}, Owner: AWS, Provider: CodeBuild, Version: 1}}",
            f"              Configuration: {{ProjectName: {'!Ref Gate' if gate else 'app-build'}}}",
            "              InputArtifacts: [{Name: Src}]",
        ]
os.makedirs(f"{out}/quota-pipeline", exist_ok=True)
open(f"{out}/quota-pipeline/pipeline.template.yaml", "w").write(head + "\n".join(body) + "\n")

# 3. a 60 MB template: the seed's shape with many unrelated resources
os.makedirs(f"{out}/large-template", exist_ok=True)
with open(f"{out}/large-template/large.template.yaml", "w") as f:
    f.write("Resources:\n")
    i = 0
    while f.tell() < 60 * 1024 * 1024:
        f.write(f"  Bucket{i}:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: bucket-{i}-{'x' * 40}\n      Tags:\n        - {{Key: team, Value: payments}}\n")
        i += 1
    f.write(head.split("Resources:\n", 1)[1])
    f.write("\n".join(body[:200]) + "\n")
