"""`bandcoach audio publish`: upload the warmed audio cache to the S3 bucket the deployed skill links to."""

from __future__ import annotations

import sys

import click


@click.command("publish")
@click.option("--bucket", help="S3 bucket. Default: BANDCOACH_S3_BUCKET.")
@click.pass_context
def publish_command(ctx: click.Context, bucket: str | None) -> None:
    """Upload every cached prompt and segment to S3 that is not there yet (run after 'audio warm')."""
    from .cache import AudioCache
    from .cli import command_context, human_size
    from .store_s3 import S3AudioStore  # boto3 loads only for this command

    settings, _ = command_context(ctx)
    store = S3AudioStore.from_settings(settings, bucket=bucket)
    cache = AudioCache(settings.audio_path)
    total = len(cache.entries())
    with click.progressbar(length=total, label=f"publishing to s3://{store.bucket}/{store.prefix}",
                           file=sys.stderr) as bar:
        report = store.publish(cache, progress=bar.update)
    click.echo(f"{report.uploaded} uploaded ({human_size(report.size)}), {report.present} already there, "
               f"{report.failed} failed of {total}")
    if settings.public_url:
        click.echo(f"served at {settings.public_url.rstrip('/')}/{store.prefix}<key>.mp3")
    for key, why in report.failures[:5]:
        click.echo(f"  failed: {key}: {why}", err=True)
    if report.failed:
        raise click.ClickException(f"{report.failed} file(s) were not published: see the errors above; "
                                   "run publish again to retry them")
