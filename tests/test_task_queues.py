"""The channel pushes travel on a lane of their own, so no backlog of other work delays them."""

from celery import current_app

from config.celery import CHANNEL_TASKS, channel_queue, worker_queues


def _queue_of(task_name: str) -> str:
    return current_app.amqp.router.route({}, task_name)["queue"].name


def test_the_channel_pushes_go_on_the_lane_and_everything_else_on_the_default_queue():
    assert {_queue_of(name) for name in CHANNEL_TASKS} == {"celery-channels"}
    for other in ("portal.tasks.notification_send", "oms.tasks.events_drain", "orders.tasks.channel_stock_resync_task",
                  "orders.tasks.channel_reconcile_run", "reports.tasks.export_job_build"):
        assert _queue_of(other) == "celery", other


def test_the_lane_follows_a_default_queue_of_another_name():
    conf = current_app.conf
    saved = conf.task_default_queue
    conf.task_default_queue = "oms-eu"
    try:
        assert _queue_of("orders.tasks.stock_changes_push") == "oms-eu-channels"
        assert _queue_of("portal.tasks.notification_send") == "oms-eu"
    finally:
        conf.task_default_queue = saved


def test_a_worker_started_without_queues_takes_both():
    assert {queue.name for queue in current_app.conf.task_queues} == {"celery", "celery-channels"}
    assert worker_queues("celery") == "celery,celery-channels" == f"celery,{channel_queue('celery')}"


def test_every_task_named_for_the_lane_exists():
    current_app.loader.import_default_modules()
    assert CHANNEL_TASKS <= set(current_app.tasks)
