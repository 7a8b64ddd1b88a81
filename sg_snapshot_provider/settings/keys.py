"""The names of the stack-config keys, as pulumi-aws spells them.

Only names: which Settings field each honoured key fills, and with which parser, is the table in
``table.py``. A new key needs a constant here only when code outside that table names it (in a
message, a cross-key check, a lookup); its row may spell the name itself.
"""

from __future__ import annotations

from typing import Final

REGION_KEY: Final = "aws:region"
PROFILE_KEY: Final = "aws:profile"
ACCESS_KEY_KEY: Final = "aws:accessKey"
SECRET_KEY_KEY: Final = "aws:secretKey"
TOKEN_KEY: Final = "aws:token"
ENDPOINTS_KEY: Final = "aws:endpoints"
DEFAULT_TAGS_KEY: Final = "aws:defaultTags"
IGNORE_TAGS_KEY: Final = "aws:ignoreTags"
MAX_RETRIES_KEY: Final = "aws:maxRetries"
RETRY_MODE_KEY: Final = "aws:retryMode"
INSECURE_KEY: Final = "aws:insecure"
CUSTOM_CA_BUNDLE_KEY: Final = "aws:customCaBundle"
HTTP_PROXY_KEY: Final = "aws:httpProxy"
HTTPS_PROXY_KEY: Final = "aws:httpsProxy"
NO_PROXY_KEY: Final = "aws:noProxy"
ASSUME_ROLES_KEY: Final = "aws:assumeRoles"
#: pulumi-aws v5's single role (v6 made it the list ``aws:assumeRoles``).
ASSUME_ROLE_KEY: Final = "aws:assumeRole"
WEB_IDENTITY_KEY: Final = "aws:assumeRoleWithWebIdentity"
SHARED_CONFIG_FILES_KEY: Final = "aws:sharedConfigFiles"
SHARED_CREDENTIALS_FILES_KEY: Final = "aws:sharedCredentialsFiles"
ALLOWED_ACCOUNT_IDS_KEY: Final = "aws:allowedAccountIds"
FORBIDDEN_ACCOUNT_IDS_KEY: Final = "aws:forbiddenAccountIds"
STS_REGION_KEY: Final = "aws:stsRegion"
USE_FIPS_ENDPOINT_KEY: Final = "aws:useFipsEndpoint"
USE_DUALSTACK_ENDPOINT_KEY: Final = "aws:useDualstackEndpoint"
USER_AGENTS_KEY: Final = "aws:userAgents"
EC2_METADATA_ENDPOINT_KEY: Final = "aws:ec2MetadataServiceEndpoint"
EC2_METADATA_ENDPOINT_MODE_KEY: Final = "aws:ec2MetadataServiceEndpointMode"

#: pulumi-aws keys accepted without effect: they tune pulumi-aws itself (its validation calls,
#: its rate limiter, its tag policies) or a service this provider never calls (S3).
NO_EFFECT_KEYS: Final = frozenset(
    {
        "aws:skipCredentialsValidation",
        "aws:skipMetadataApiCheck",
        "aws:skipRegionValidation",
        "aws:skipRequestingAccountId",
        "aws:tagPolicyCompliance",
        "aws:tokenBucketRateLimiterCapacity",
        "aws:s3UsEast1RegionalEndpoint",
        "aws:s3UsePathStyle",
    }
)
