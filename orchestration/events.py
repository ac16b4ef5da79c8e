"""S3-shaped events, exactly as S3 notifications deliver them to Lambda (URL-encoded keys)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_plus


def object_created_event(bucket: str, key: str, size: int, etag: str, event_time: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "us-east-1",
                "eventTime": event_time,
                "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "lakehouse-local"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "lakehouse-landing",
                    "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                    "object": {
                        "key": quote_plus(key, safe="/"),
                        "size": size,
                        "eTag": etag,
                        "sequencer": "0",
                    },
                },
            }
        ]
    }
