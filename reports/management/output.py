"""Writing an export command's file: the bytes to the path, or a CommandError that says why not."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


def write_export(command: BaseCommand, output: str, data: bytes) -> None:
    """Write `data` to `output` and say so on the command's stdout."""
    path = Path(output)
    try:
        path.write_bytes(data)
    except OSError as error:
        raise CommandError(f"{path} に書き込めません: {error}") from error
    command.stdout.write(f"{path} を書き出しました（{len(data):,} バイト）。")
