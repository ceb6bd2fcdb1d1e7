"""The Windows command lines of a guest action in the user's session, byte for byte: PowerShell
verbatim strings (about_Quoting_Rules), the Microsoft C runtime's argument parsing ("Parsing C++
command-line arguments"), `powershell.exe -EncodedCommand` (base64 of UTF-16LE), and the
ScheduledTasks scripts built from them, with paths holding spaces and user names outside ASCII."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modeswitch.parts.guest import windows
from modeswitch.parts.guest.windows import (
    TaskFiles,
    cleanup_script,
    encoded_command,
    parse_task_result,
    powershell_argv,
    program_script,
    ps_quote,
    runner_script,
    windows_arg,
    windows_command_line,
)


def parse_c_runtime(line: str) -> list[str]:
    """The documented rules, as a reader: 2n backslashes + quote → n backslashes and a quote
    toggle; 2n+1 backslashes + quote → n backslashes and a literal quote; other backslashes are
    literal; "" inside quotes is a literal quote; space or tab outside quotes ends an argument."""
    args: list[str] = []
    current, quoted, started, i = "", False, False, 0
    while i < len(line):
        char = line[i]
        if char == "\\":
            run = len(line[i:]) - len(line[i:].lstrip("\\"))
            if i + run < len(line) and line[i + run] == '"':
                current += "\\" * (run // 2)
                if run % 2:
                    current += '"'
                    i += run + 1
                    started = True
                    continue
                i += run
                continue
            current, i, started = current + "\\" * run, i + run, True
            continue
        if char == '"':
            if quoted and line[i + 1:i + 2] == '"':
                current, i = current + '"', i + 2
                continue
            quoted, started, i = not quoted, True, i + 1
            continue
        if char in " \t" and not quoted:
            if started:
                args.append(current)
            current, started, i = "", False, i + 1
            continue
        current, started, i = current + char, True, i + 1
    if started:
        args.append(current)
    return args


@pytest.mark.parametrize(("line", "expected"), [  # the table in Microsoft's documentation
    ('"a b c" d e', ["a b c", "d", "e"]),
    ('"ab\\"c" "\\\\" d', ['ab"c', "\\", "d"]),
    ('a\\\\\\b d"e f"g h', ["a\\\\\\b", "de fg", "h"]),
    ('a\\\\\\"b c d', ['a\\"b', "c", "d"]),
    ('a\\\\\\\\"b c" d e', ["a\\\\b c", "d", "e"]),
    ('a"b"" c d', ['ab" c d']),
])
def test_the_reader_follows_the_documented_table(line: str, expected: list[str]) -> None:
    assert parse_c_runtime(line) == expected


@pytest.mark.parametrize(("arg", "expected"), [
    ("/SetPrimary", "/SetPrimary"),
    ("\\\\.\\DISPLAY1", "\\\\.\\DISPLAY1"),  # backslashes not before a quote stay as they are
    ("C:\\Program Files\\Tool\\tool.exe", '"C:\\Program Files\\Tool\\tool.exe"'),
    ("C:\\Program Files\\", '"C:\\Program Files\\\\"'),  # the closing quote must not be escaped
    ('say "hi"', '"say \\"hi\\""'),
    ('a\\"b', '"a\\\\\\"b"'),
    ("", '""'),
    ("NVIDIA High Definition Audio\\Device\\TV", '"NVIDIA High Definition Audio\\Device\\TV"'),
    ("Lautsprecher (Realtek® Audio)", '"Lautsprecher (Realtek® Audio)"'),
    ("tab\there", '"tab\there"'),
])
def test_one_argument_as_the_c_runtime_reads_it_back(arg: str, expected: str) -> None:
    assert windows_arg(arg) == expected
    assert parse_c_runtime(expected) == [arg]


@given(st.lists(st.text(alphabet=st.sampled_from('ab \t"\\é’'), max_size=8), min_size=1, max_size=5))
def test_any_argument_list_survives_the_round_trip(args: list[str]) -> None:
    assert parse_c_runtime(windows_command_line(args)) == args


@pytest.mark.parametrize(("text", "expected"), [
    ("C:\\Program Files\\MultiMonitorTool\\MultiMonitorTool.exe",
     "'C:\\Program Files\\MultiMonitorTool\\MultiMonitorTool.exe'"),
    ("O'Brien", "'O''Brien'"),
    ("O\u2019Brien", "'O\u2019\u2019Brien'"),  # PowerShell ends a string at typographic quotes too
    ("\u2018x\u201a\u201b", "'\u2018\u2018x\u201a\u201a\u201b\u201b'"),
    ("$env:USERNAME `n", "'$env:USERNAME `n'"),  # nothing expands in a verbatim string
    ("DESKTOP-7\\Jürgen", "'DESKTOP-7\\Jürgen'"),
    ("", "''"),
])
def test_powershell_verbatim_strings(text: str, expected: str) -> None:
    assert ps_quote(text) == expected


def test_encoded_command_is_base64_of_utf16le() -> None:
    assert encoded_command("dir") == "ZABpAHIA"
    assert base64.b64decode(encoded_command("'Jürgen'")).decode("utf-16-le") == "'Jürgen'"
    argv = powershell_argv("exit 0", hidden=True)
    assert argv[:5] == [windows.POWERSHELL, "-NoProfile", "-NonInteractive", "-WindowStyle", "Hidden"]
    assert argv[5:] == ["-EncodedCommand", "ZQB4AGkAdAAgADAA"]


FILES = TaskFiles("modeswitch-0123456789ab")
ARGV = ("C:\\Program Files\\MultiMonitorTool\\MultiMonitorTool.exe", "/SetPrimary", "\\\\.\\DISPLAY1",
        "Jürgen's TV")
PROGRAM = """$ErrorActionPreference = 'Stop'
$info = New-Object System.Diagnostics.ProcessStartInfo
$info.FileName = 'C:\\Program Files\\MultiMonitorTool\\MultiMonitorTool.exe'
$info.Arguments = '/SetPrimary \\\\.\\DISPLAY1 "Jürgen''s TV"'
$info.UseShellExecute = $false
$info.RedirectStandardOutput = $true
$info.RedirectStandardError = $true
try { $process = [System.Diagnostics.Process]::Start($info) }
catch { [System.IO.File]::WriteAllText('C:\\Windows\\Temp\\modeswitch-0123456789ab.err', \
$_.Exception.Message); exit 9009 }
[System.IO.File]::WriteAllText('C:\\Windows\\Temp\\modeswitch-0123456789ab.pid', [string]$process.Id)
$stdout = $process.StandardOutput.ReadToEndAsync()
$stderr = $process.StandardError.ReadToEndAsync()
$process.WaitForExit()
[System.IO.File]::WriteAllText('C:\\Windows\\Temp\\modeswitch-0123456789ab.out', $stdout.Result)
[System.IO.File]::WriteAllText('C:\\Windows\\Temp\\modeswitch-0123456789ab.err', $stderr.Result)
exit $process.ExitCode
"""
TASK = "-TaskName 'modeswitch-0123456789ab' -TaskPath '\\modeswitch\\'"
RUNNER = f"""$ErrorActionPreference = 'Stop'
try {{
  $action = New-ScheduledTaskAction -Execute 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe' \
-Argument '-NoProfile -NonInteractive -WindowStyle Hidden -EncodedCommand @INNER@'
  $principal = New-ScheduledTaskPrincipal -UserId 'DESKTOP-7\\Jürgen O\u2019\u2019Brien' -LogonType Interactive \
-RunLevel Limited
  $settings = New-ScheduledTaskSettingsSet -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries -MultipleInstances \
IgnoreNew -ExecutionTimeLimit (New-TimeSpan -Seconds 90)
  Register-ScheduledTask {TASK} -Action $action -Principal $principal -Settings $settings -Force | Out-Null
  Start-ScheduledTask {TASK}
  do {{
    Start-Sleep -Milliseconds 100
    $state = (Get-ScheduledTask {TASK}).State
    $info = Get-ScheduledTaskInfo {TASK}
  }} while ($state -eq 'Running' -or $state -eq 'Queued' -or $info.LastTaskResult -eq 267011 -or \
$info.LastTaskResult -eq 267009)
  [Console]::Out.WriteLine('modeswitch-task-result ' + $info.LastTaskResult)
}} catch {{
  [Console]::Error.WriteLine($_.Exception.Message)
  exit 1
}} finally {{
  Unregister-ScheduledTask {TASK} -Confirm:$false -ErrorAction SilentlyContinue
}}
"""


def test_the_program_script_runs_the_program_with_its_output_in_files() -> None:
    assert program_script(ARGV, FILES) == PROGRAM


def test_the_runner_registers_an_interactive_task_for_the_user_and_unregisters_it() -> None:
    script = runner_script(ARGV, "DESKTOP-7\\Jürgen O\u2019Brien", FILES, 90)
    inner = powershell_argv(PROGRAM, hidden=True)[-1]
    assert script == RUNNER.replace("@INNER@", inner)
    decoded = base64.b64decode(inner).decode("utf-16-le")
    assert decoded == PROGRAM and "Jürgen''s TV" in decoded


def test_the_cleanup_ends_what_still_runs_and_removes_task_and_files() -> None:
    kill = "& 'C:\\Windows\\System32\\taskkill.exe'"
    pid = "'C:\\Windows\\Temp\\modeswitch-0123456789ab.pid'"
    assert cleanup_script(FILES, 4242, ended=False) == f"""$ErrorActionPreference = 'SilentlyContinue'
{kill} /PID 4242 /T /F 2>&1 | Out-Null
if (Test-Path -LiteralPath {pid}) {{
  {kill} /PID ([int](Get-Content -LiteralPath {pid})) /T /F 2>&1 | Out-Null
}}
Stop-ScheduledTask {TASK}
Unregister-ScheduledTask {TASK} -Confirm:$false
Remove-Item -LiteralPath 'C:\\Windows\\Temp\\modeswitch-0123456789ab.out', \
'C:\\Windows\\Temp\\modeswitch-0123456789ab.err', {pid} -Force
exit 0
"""
    assert cleanup_script(FILES, 4242, ended=True) == f"""$ErrorActionPreference = 'SilentlyContinue'
Stop-ScheduledTask {TASK}
Unregister-ScheduledTask {TASK} -Confirm:$false
Remove-Item -LiteralPath 'C:\\Windows\\Temp\\modeswitch-0123456789ab.out', \
'C:\\Windows\\Temp\\modeswitch-0123456789ab.err', {pid} -Force
exit 0
"""
    assert "taskkill" not in cleanup_script(FILES, None, ended=False).splitlines()[1]


@pytest.mark.parametrize(("stdout", "expected"), [
    ("modeswitch-task-result 0\r\n", 0),
    ("noise\nmodeswitch-task-result 3\n", 3),
    ("modeswitch-task-result 4294967295\n", -1),  # a DWORD: exit -1
    ("modeswitch-task-result 2147483648\n", -2147483648),
    ("", None),
    ("modeswitch-task-result x\n", None),
])
def test_the_task_result_is_the_programs_exit_code(stdout: str, expected: int | None) -> None:
    assert parse_task_result(stdout) == expected

