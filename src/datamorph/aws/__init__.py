"""AWS Lambda handlers with the original system's contracts: :mod:`datamorph.aws.handlers`.

The boto3 plumbing they share with the S3 artifact store and the DynamoDB log sink is in
:mod:`datamorph.aws_clients`. Needs the aws extra (boto3).
"""
