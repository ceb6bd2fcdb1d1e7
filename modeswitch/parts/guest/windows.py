"""The Windows half of a guest action in the user's session: PowerShell text. Pure.

qemu-guest-agent runs as LocalSystem in session 0, where the display-configuration API and the
default audio device of the person at the screen are out of reach. The Task Scheduler can start
a program with the logged-on user's own token in their session ("Interactive" logon type, no
password), so the agent registers a one-shot task for that user, starts it, waits for it to end
and reads its result, and the task is unregistered again, also after a timeout or a rollback.

Why Register-ScheduledTask and not `schtasks /create … /ru USER /it`: schtasks limits `/tr`
to 261 characters and takes the command as one string to re-parse, while the ScheduledTasks
cmdlets take the program and its arguments as separate fields.

Three quoting layers, each written by one function here and table-tested byte for byte:
- PowerShell single-quoted literals (`'` and its typographic variants doubled);
- the argument string a Windows program parses (the Microsoft C runtime's rules, which
  CommandLineToArgvW shares), for ProcessStartInfo.Arguments;
- `powershell.exe -EncodedCommand`: the script as base64 of UTF-16LE, so user names and paths
  outside ASCII pass through the agent, the Task Scheduler and the console code page unchanged.

The task runs a small script as the user that starts the program with its output redirected,
writes stdout and stderr to files in C:\\Windows\\Temp (which users may create files in) and
exits with the program's exit code, which the Task Scheduler keeps as LastTaskResult. The
agent reads the files back with guest-file-open/read and the cleanup script deletes them.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass

POWERSHELL = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"
TASKKILL = r"C:\Windows\System32\taskkill.exe"
TEMP_DIR = r"C:\Windows\Temp"
TASK_PATH = "\\modeswitch\\"
RESULT_PREFIX = "modeswitch-task-result "
NOT_STARTED = 9009  # the program could not be started (cmd.exe's "is not recognized" code)
# SCHED_S_TASK_HAS_NOT_RUN / SCHED_S_TASK_RUNNING: LastTaskResult before the run has ended
PENDING_RESULTS = (0x41303, 0x41301)
# PowerShell ends a single-quoted string at any of these (about_Quoting_Rules); doubled, they
# stand for themselves.
SINGLE_QUOTES = ("'", "\u2018", "\u2019", "\u201a", "\u201b")


@dataclass(frozen=True)
class TaskFiles:
    """Where one run's program output and pid go, named after its task."""

    task: str  # the task's name, modeswitch-<id>

    @property
    def stdout(self) -> str:
        return f"{TEMP_DIR}\\{self.task}.out"

    @property
    def stderr(self) -> str:
        return f"{TEMP_DIR}\\{self.task}.err"

    @property
    def pid(self) -> str:
        return f"{TEMP_DIR}\\{self.task}.pid"


def task_name(run_id: str) -> str:
    return f"modeswitch-{run_id}"


def ps_quote(text: str) -> str:
    """A PowerShell verbatim string literal: nothing inside is expanded."""
    for quote in SINGLE_QUOTES:
        text = text.replace(quote, quote * 2)
    return f"'{text}'"


def windows_arg(arg: str) -> str:
    """One argument as the Microsoft C runtime parses it back: quoted when it holds a space,
    a tab or a quote (or is empty); a quote is escaped with a backslash, and backslashes are
    doubled only where they precede a quote (or the closing quote)."""
    if arg and not any(c in arg for c in ' \t\n\v"'):
        return arg
    out, backslashes = ['"'], 0
    for char in arg:
        if char == "\\":
            backslashes += 1
            continue
        if char == '"':
            out.append("\\" * (backslashes * 2 + 1) + '"')
        else:
            out.append("\\" * backslashes + char)
        backslashes = 0
    out.append("\\" * (backslashes * 2) + '"')
    return "".join(out)


def windows_command_line(args: Sequence[str]) -> str:
    return " ".join(windows_arg(arg) for arg in args)


def encoded_command(script: str) -> str:
    """What `powershell.exe -EncodedCommand` takes: base64 of the UTF-16LE script."""
    return base64.b64encode(script.encode("utf-16-le")).decode("ascii")


def powershell_argv(script: str, hidden: bool = False) -> list[str]:
    """argv for the agent's guest-exec (or a task's action): no profile, no prompt."""
    window = ["-WindowStyle", "Hidden"] if hidden else []
    return [POWERSHELL, "-NoProfile", "-NonInteractive", *window, "-EncodedCommand", encoded_command(script)]


def program_script(argv: Sequence[str], files: TaskFiles) -> str:
    """What the task runs as the user: the program, its output into files, its exit code out."""
    return "\n".join([
        "$ErrorActionPreference = 'Stop'",
        "$info = New-Object System.Diagnostics.ProcessStartInfo",
        f"$info.FileName = {ps_quote(argv[0])}",
        f"$info.Arguments = {ps_quote(windows_command_line(argv[1:]))}",
        "$info.UseShellExecute = $false",
        "$info.RedirectStandardOutput = $true",
        "$info.RedirectStandardError = $true",
        "try { $process = [System.Diagnostics.Process]::Start($info) }",
        f"catch {{ [System.IO.File]::WriteAllText({ps_quote(files.stderr)}, $_.Exception.Message); "
        f"exit {NOT_STARTED} }}",
        f"[System.IO.File]::WriteAllText({ps_quote(files.pid)}, [string]$process.Id)",
        "$stdout = $process.StandardOutput.ReadToEndAsync()",
        "$stderr = $process.StandardError.ReadToEndAsync()",
        "$process.WaitForExit()",
        f"[System.IO.File]::WriteAllText({ps_quote(files.stdout)}, $stdout.Result)",
        f"[System.IO.File]::WriteAllText({ps_quote(files.stderr)}, $stderr.Result)",
        "exit $process.ExitCode",
    ]) + "\n"


def runner_script(argv: Sequence[str], user: str, files: TaskFiles, limit_seconds: int) -> str:
    """What the agent runs as LocalSystem: register the task for `user` with an interactive
    logon, start it, wait until it has run, print its result, and unregister it whatever
    happened. `limit_seconds` is the task's own time limit, a backstop behind the agent's."""
    name, path = ps_quote(files.task), ps_quote(TASK_PATH)
    task = f"-TaskName {name} -TaskPath {path}"
    action = " ".join(powershell_argv(program_script(argv, files), hidden=True)[1:])
    pending = " -or ".join(f"$info.LastTaskResult -eq {code}" for code in PENDING_RESULTS)
    return "\n".join([
        "$ErrorActionPreference = 'Stop'",
        "try {",
        f"  $action = New-ScheduledTaskAction -Execute {ps_quote(POWERSHELL)} -Argument {ps_quote(action)}",
        f"  $principal = New-ScheduledTaskPrincipal -UserId {ps_quote(user)} -LogonType Interactive "
        "-RunLevel Limited",
        "  $settings = New-ScheduledTaskSettingsSet -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries "
        f"-MultipleInstances IgnoreNew -ExecutionTimeLimit (New-TimeSpan -Seconds {limit_seconds})",
        f"  Register-ScheduledTask {task} -Action $action -Principal $principal -Settings $settings -Force "
        "| Out-Null",
        f"  Start-ScheduledTask {task}",
        "  do {",
        "    Start-Sleep -Milliseconds 100",
        f"    $state = (Get-ScheduledTask {task}).State",
        f"    $info = Get-ScheduledTaskInfo {task}",
        f"  }} while ($state -eq 'Running' -or $state -eq 'Queued' -or {pending})",
        f"  [Console]::Out.WriteLine({ps_quote(RESULT_PREFIX)} + $info.LastTaskResult)",
        "} catch {",  # one line for the step's error, not PowerShell's six-line error record
        "  [Console]::Error.WriteLine($_.Exception.Message)",
        "  exit 1",
        "} finally {",  # also runs after `exit` in the catch block (about_Try_Catch_Finally)
        f"  Unregister-ScheduledTask {task} -Confirm:$false -ErrorAction SilentlyContinue",
        "}",
    ]) + "\n"


def cleanup_script(files: TaskFiles, runner_pid: int | None, ended: bool) -> str:
    """After the run, also after a timeout or a cancel: unless the run `ended`, end the runner
    and the program with whatever it started (taskkill /T); stop and unregister the task; delete
    the files. Each part may have happened already, so none of them fails the script. A run
    that ended kills nothing: its pid may belong to another process by now."""
    task = f"-TaskName {ps_quote(files.task)} -TaskPath {ps_quote(TASK_PATH)}"
    lines = ["$ErrorActionPreference = 'SilentlyContinue'"]
    if not ended and runner_pid is not None:
        lines.append(f"& {ps_quote(TASKKILL)} /PID {runner_pid} /T /F 2>&1 | Out-Null")
    if not ended:
        lines += [
            f"if (Test-Path -LiteralPath {ps_quote(files.pid)}) {{",
            f"  & {ps_quote(TASKKILL)} /PID ([int](Get-Content -LiteralPath {ps_quote(files.pid)})) /T /F 2>&1 "
            "| Out-Null",
            "}",
        ]
    lines += [
        f"Stop-ScheduledTask {task}",
        f"Unregister-ScheduledTask {task} -Confirm:$false",
        f"Remove-Item -LiteralPath {', '.join(ps_quote(p) for p in (files.stdout, files.stderr, files.pid))} -Force",
        "exit 0",
    ]
    return "\n".join(lines) + "\n"


def parse_task_result(stdout: str) -> int | None:
    """The program's exit code from the runner's output (LastTaskResult is a DWORD: exit
    codes above 2**31 are negative ones); None when the runner printed no result."""
    for line in stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            try:
                value = int(line[len(RESULT_PREFIX):].strip())
            except ValueError:
                return None
            return value - 2**32 if value >= 2**31 else value
    return None

