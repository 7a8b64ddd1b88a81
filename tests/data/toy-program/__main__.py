"""Two toy resources, the second fed by the first, and one mocked pulumi-aws resource."""

import pulumi
import pulumi_aws as aws

from sg_snapshot_harness.toy import ToyResource

config = pulumi.Config()
first = ToyResource("first", name="one", value=config.require("value"))
second = ToyResource("second", name="two", value=first.toy_id)
bucket = aws.s3.Bucket("bucket", tags={"toy": first.toy_id})

pulumi.export("first_id", first.toy_id)
pulumi.export("second_value", second.value)
pulumi.export("bucket_tags", bucket.tags)
