"""Amazon States Language for the day workflows: Glue jobs run with ``.sync`` stage after stage
(steps of one stage in parallel); any failure publishes to the alert topic and fails the execution.

The execution name is ``<workflow key>-<day>`` (see ``core.launchers.StateMachineLauncher``): Step
Functions refuses a second execution of that name, so a day runs once however often it is started.
"""

from __future__ import annotations

import json
from typing import Any

from orchestration.aws.components import Step, Workflow

GLUE_SYNC = "arn:aws:states:::glue:startJobRun.sync"
SNS_PUBLISH = "arn:aws:states:::sns:publish"
NOTIFY, FAILED = "NotifyFailure", "Failed"
# Glue refusing a start (too many concurrent runs, throttling) is worth waiting for; a job that ran
# and failed is not retried here: its failure is reported, the day is rerun by hand once fixed.
_RETRY = [
    {
        "ErrorEquals": ["Glue.ConcurrentRunsExceededException", "Glue.ThrottlingException"],
        "IntervalSeconds": 60,
        "MaxAttempts": 3,
        "BackoffRate": 2.0,
    }
]


def job_arguments(step: Step) -> dict[str, str]:
    """Glue arguments of a step: ``$.`` values become paths into the execution input."""
    return {
        (f"{name}.$" if value.startswith("$.") else name): value for name, value in step.arguments.items()
    }


def _task(step: Step) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": GLUE_SYNC,
        "Parameters": {"JobName": step.job, "Arguments": job_arguments(step)},
        "ResultPath": None,  # keep the input (the day) for the next stage
        "Retry": _RETRY,
    }


def definition(workflow: Workflow, alert_topic_arn: str) -> dict[str, Any]:
    states: dict[str, Any] = {}
    names = [stage[0].name if len(stage) == 1 else "_".join(s.name for s in stage) for stage in workflow.stages]
    catch = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": NOTIFY}]
    for index, stage in enumerate(workflow.stages):
        if len(stage) == 1:
            state = _task(stage[0])
        else:
            state = {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": step.name, "States": {step.name: {**_task(step), "End": True}}} for step in stage
                ],
                "ResultPath": None,
            }
        state["Catch"] = catch
        if index + 1 < len(names):
            state["Next"] = names[index + 1]
        else:
            state["End"] = True
        states[names[index]] = state
    states[NOTIFY] = {
        "Type": "Task",
        "Resource": SNS_PUBLISH,
        "Parameters": {
            "TopicArn": alert_topic_arn,
            "Subject": f"lakehouse {workflow.key} failed",
            "Message.$": f"States.Format('lakehouse {workflow.key} failed for day {{}}: {{}}', $.day, $.error.Cause)",
        },
        "ResultPath": None,
        "Next": FAILED,
    }
    states[FAILED] = {"Type": "Fail", "Error": "WorkflowFailed", "Cause": f"a step of {workflow.key} failed"}
    return {
        "Comment": f"lakehouse {workflow.key}: one execution per day, named {workflow.key}-<day>",
        "StartAt": names[0],
        "States": states,
    }


def definition_string(workflow: Workflow) -> dict[str, str]:
    """The definition as ``Fn::Sub`` text, the alert topic resolved by CloudFormation."""
    return {"Fn::Sub": json.dumps(definition(workflow, "${AlertTopic}"), separators=(",", ":"), sort_keys=True)}
