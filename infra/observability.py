"""What tells an operator something went wrong (AWS only): the functions' log groups,
the alarms generated from what the stack declares, and the topic they notify.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from infra.api import API_NAME, API_RESOURCE, api_gateway_stage
from infra.intrinsics import Template, ref, sub
from infra.stages import stage_setting

# Alarms look at 5-minute periods; one bad period is enough to notify.
ALARM_PERIOD_SECONDS = 300


def function_log_groups(functions: Iterable[str]) -> dict[str, Template]:
    """The log group Lambda writes each function's logs to, with the stage's retention.

    Retained on stack deletion in every stage: the retention period empties them.
    """
    return {
        f"{function}LogGroup": {
            "Type": "AWS::Logs::LogGroup",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "LogGroupName": sub(f"/aws/lambda/${{{function}}}"),
                "RetentionInDays": stage_setting("LogRetentionDays"),
            },
        }
        for function in functions
    }


def alarm_topic_key() -> Template:
    """A customer managed key for the alarm topic.

    CloudWatch cannot publish to a topic encrypted with the AWS managed key
    ``alias/aws/sns`` (its key policy cannot be changed to let CloudWatch use it), so the
    alarm topic needs a key whose policy lets CloudWatch encrypt messages.
    """
    return {
        "Type": "AWS::KMS::Key",
        "DeletionPolicy": "Delete",
        "UpdateReplacePolicy": "Delete",
        "Properties": {
            "Description": sub("${AWS::StackName}: encrypts the alarm topic"),
            "EnableKeyRotation": True,
            "KeyPolicy": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "AccountAdministersKey",
                        "Effect": "Allow",
                        "Principal": {
                            "AWS": sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")
                        },
                        "Action": "kms:*",
                        "Resource": "*",
                    },
                    {
                        "Sid": "CloudWatchAlarmsEncryptNotifications",
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudwatch.amazonaws.com"},
                        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                        "Resource": "*",
                    },
                ],
            },
        },
    }


def alarm_topic() -> Template:
    return {"Type": "AWS::SNS::Topic", "Properties": {"KmsMasterKeyId": ref("AlarmTopicKey")}}


def alarm(
    description: str,
    namespace: str,
    metric: str,
    dimensions: dict[str, Any],
    statistic: str = "Sum",
) -> Template:
    """Notify the alarm topic when ``metric`` is above zero in any period (and when it recovers)."""
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": description,
            "Namespace": namespace,
            "MetricName": metric,
            "Dimensions": [{"Name": name, "Value": value} for name, value in dimensions.items()],
            "Statistic": statistic,
            "Period": ALARM_PERIOD_SECONDS,
            "EvaluationPeriods": 1,
            "Threshold": 0,
            "ComparisonOperator": "GreaterThanThreshold",
            # No data means nothing ran (or nothing waits in the queue): not a problem.
            "TreatMissingData": "notBreaching",
            "AlarmActions": [ref("AlarmTopic")],
            "OKActions": [ref("AlarmTopic")],
        },
    }


def dead_letter_queues(declared: dict[str, Template]) -> list[str]:
    """Logical ids of the queues some queue's redrive policy sends messages to."""
    return sorted(
        {
            r["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
            for r in declared.values()
            if r["Type"] == "AWS::SQS::Queue" and "RedrivePolicy" in r["Properties"]
        }
    )


def state_machines(declared: dict[str, Template]) -> list[str]:
    return sorted(k for k, r in declared.items() if r["Type"] == "AWS::StepFunctions::StateMachine")


def alarms(declared: dict[str, Template], functions: Iterable[str]) -> dict[str, Template]:
    """Every alarm, generated from what the stack declares (one per queue, machine, function)."""
    generated: dict[str, Template] = {}
    for queue_id in dead_letter_queues(declared):
        generated[f"{queue_id}NotEmptyAlarm"] = alarm(
            f"Messages reached {queue_id}: a notice file or message failed repeatedly.",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            {"QueueName": {"Fn::GetAtt": [queue_id, "QueueName"]}},
            statistic="Maximum",
        )
    for machine_id in state_machines(declared):
        generated[f"{machine_id}ExecutionsFailedAlarm"] = alarm(
            f"An execution of {machine_id} failed.",
            "AWS/States",
            "ExecutionsFailed",
            {"StateMachineArn": ref(machine_id)},
        )
    generated[f"{API_RESOURCE}ServerErrorsAlarm"] = alarm(
        "The HTTPS API answered with 5XX errors.",
        "AWS/ApiGateway",
        "5XXError",
        {"ApiName": API_NAME, "Stage": api_gateway_stage()},
    )
    for function in functions:
        for metric in ("Errors", "Throttles"):
            generated[f"{function}{metric}Alarm"] = alarm(
                f"{function}: Lambda {metric.lower()}.",
                "AWS/Lambda",
                metric,
                {"FunctionName": ref(function)},
            )
    for logical_id, resource in generated.items():
        resource["Properties"]["AlarmName"] = sub(f"${{AWS::StackName}}-{logical_id}")
    return generated


def aws_only_resources(
    declared: dict[str, Template], functions: tuple[str, ...]
) -> dict[str, Template]:
    """Log groups of ``functions``; alarms on them and on what ``declared`` holds."""
    return {
        **function_log_groups(functions),
        "AlarmTopicKey": alarm_topic_key(),
        "AlarmTopic": alarm_topic(),
        **alarms(declared, functions),
    }


def aws_only_outputs() -> dict[str, Template]:
    return {"AlarmTopicArn": {"Value": ref("AlarmTopic")}}
