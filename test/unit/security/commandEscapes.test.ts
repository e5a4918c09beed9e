import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BreakwaterConfigInput } from '../../../src/core/config/schema';
import { makeHarness, type Harness } from '../tools/harness';

type Kind = 'block' | 'ask_every_time' | 'ask';
type Case = readonly [name: string, command: (out: string) => string, expected: Kind, reason?: RegExp, settings?: BreakwaterConfigInput['settings']];

/**
 * The command policy on top of the OS sandbox, one table per category. Every
 * case asserts the decision and its reason, then executes the call with the strongest authorization
 * the decision must refuse (the user for a block, `--yes` for ask-every-time, nothing for an ask)
 * and checks that the model is told it did not run and that `marker` exists neither in the
 * workspace nor outside it. `curl` is in denied_commands throughout.
 */
const CATEGORIES: ReadonlyArray<readonly [category: string, cases: readonly Case[]]> = [
  [
    'exec wrappers: the lists see the program they run',
    [
      ['taskset with a CPU list', () => 'taskset -c 0 curl x; touch marker', 'block', /"curl" is in denied_commands/],
      ['taskset with a mask', () => 'taskset 0x1 curl x; touch marker', 'block', /denied_commands/],
      ['nice -n', () => 'nice -n 5 curl x; touch marker', 'block', /denied_commands/],
      ['nice -NUM', () => 'nice -10 curl x; touch marker', 'block', /denied_commands/],
      ['ionice -c -n', () => 'ionice -c 2 -n 7 curl x; touch marker', 'block', /denied_commands/],
      ['timeout -s SIG DURATION', () => 'timeout -s KILL 5 curl x; touch marker', 'block', /denied_commands/],
      ['timeout --kill-after=', () => 'timeout --kill-after=1 5s curl x; touch marker', 'block', /denied_commands/],
      ['stdbuf -oL', () => 'stdbuf -oL -e 0 curl x; touch marker', 'block', /denied_commands/],
      ['chrt with a policy and priority', () => 'chrt -f 1 curl x; touch marker', 'block', /denied_commands/],
      ['setpriv --reuid', () => 'setpriv --reuid 1000 --nnp curl x; touch marker', 'block', /denied_commands/],
      ['prlimit --nofile=', () => 'prlimit --nofile=10 curl x; touch marker', 'block', /denied_commands/],
      ['unshare -r', () => 'unshare -r -n curl x; touch marker', 'block', /denied_commands/],
      ['nsenter -t PID -m', () => 'nsenter -t 1 -m curl x; touch marker', 'block', /denied_commands/],
      ['flock FILE CMD', () => 'flock /tmp/bw.lock curl x; touch marker', 'block', /denied_commands/],
      ['flock FILE -c "CMD"', () => 'flock /tmp/bw.lock -c "curl x"; touch marker', 'block', /denied_commands/],
      ['watch -n (a shell command line)', () => 'watch -n 1 curl x; touch marker', 'block', /denied_commands/],
      ['watch -x', () => 'watch -x curl x; touch marker', 'block', /denied_commands/],
      ['env -u NAME', () => 'env -u HOME curl x; touch marker', 'block', /denied_commands/],
      ['env -S "CMD"', () => 'env -S "curl x"; touch marker', 'block', /denied_commands/],
      ['command', () => 'command curl x; touch marker', 'block', /denied_commands/],
      ['exec -a NAME', () => 'exec -a innocent curl x; touch marker', 'block', /denied_commands/],
      ['builtin', () => 'builtin curl x; touch marker', 'block', /denied_commands/],
      ['/usr/bin/time -f', () => '/usr/bin/time -f %e curl x; touch marker', 'block', /denied_commands/],
      ['nohup', () => 'nohup curl x; touch marker', 'block', /denied_commands/],
      ['setsid -w', () => 'setsid -w curl x; touch marker', 'block', /denied_commands/],
      ['xargs -I{}', () => 'echo x | xargs -I{} curl {}; touch marker', 'block', /denied_commands/],
      ['xargs -n 1 -P 2', () => 'echo x | xargs -n 1 -P 2 curl; touch marker', 'block', /denied_commands/],
      ['sudo -u USER', () => 'sudo -u root curl x; touch marker', 'block', /denied_commands/],
      ['sudo -s "CMD"', () => 'sudo -s curl x; touch marker', 'block', /denied_commands/],
      ['doas -u USER', () => 'doas -u root curl x; touch marker', 'block', /denied_commands/],
      ['busybox APPLET', () => 'busybox curl x; touch marker', 'block', /denied_commands/],
      ['a chain of wrappers', () => 'sudo -u root env A=1 nice -n 5 timeout -s KILL 9 taskset -c 0 curl x; touch marker', 'block', /denied_commands/],
      ['a wrapper option the policy does not know', () => 'timeout --frobnicate 5 curl x; touch marker', 'block', /denied_commands/],
      ['allowed_commands sees through a wrapper', () => 'nice -n 5 touch marker', 'block', /"touch" is not in allowed_commands/, { allowed_commands: ['nice', 'ls'] }],
      ['a wrapper asks every time even for an allowed program', () => 'nice -n 5 touch marker', 'ask_every_time', /nice runs another command/],
    ],
  ],
  [
    'shell features that rename programs',
    [
      ['alias with expand_aliases', () => 'shopt -s expand_aliases; alias ls=curl; ls x; touch marker', 'block', /expand_aliases/],
      ['bash -O expand_aliases', () => 'bash -O expand_aliases -c "ls"; touch marker', 'block', /expand_aliases/],
      ['hash -p', () => 'hash -p /usr/bin/curl ls; ls x; touch marker', 'block', /hash -p/],
      ['enable -f', () => 'enable -f ./evil.so evil; touch marker', 'block', /enable -f/],
      ['enable -n', () => 'enable -n echo; touch marker', 'ask_every_time', /enable switches a builtin/],
      ['alias alone', () => 'alias ll="ls -l"; touch marker', 'ask_every_time', /alias defines/],
      ['printf -v PATH', () => 'printf -v PATH /tmp; touch marker', 'ask_every_time', /printf writing PATH/],
      ['read into PATH', () => 'read PATH <<< /tmp; touch marker', 'ask_every_time', /read writing PATH/],
      ['read -a into PATH', () => 'read -r -a PATH <<< /tmp; touch marker', 'ask_every_time', /read writing PATH/],
      ['mapfile into PATH', () => 'mapfile -t PATH <<< /tmp; touch marker', 'ask_every_time', /mapfile writing PATH/],
      ['mapfile -C runs a callback', () => 'mapfile -C "touch evil" -c 1 arr <<< x; touch marker', 'ask_every_time', /-C runs a callback/],
      ['getopts into PATH', () => 'getopts a PATH; touch marker', 'ask_every_time', /getopts writing PATH/],
      ['declare PATH', () => 'declare PATH=/tmp; touch marker', 'ask_every_time', /setting PATH/],
      ['typeset PATH', () => 'typeset PATH=/tmp; touch marker', 'ask_every_time', /setting PATH/],
      ['local PATH in a function', () => 'f() { local PATH=/tmp; ls; }; f; touch marker', 'ask_every_time', /setting PATH/],
      ['readonly BASH_ENV', () => 'readonly BASH_ENV=./rc; touch marker', 'ask_every_time', /setting BASH_ENV/],
      ['IFS for a command', () => 'IFS=/ touch marker', 'ask_every_time', /setting IFS/],
      ['ENV for a shell', () => 'ENV=./rc sh -i; touch marker', 'ask_every_time', /setting ENV/],
      ['PROMPT_COMMAND', () => 'PROMPT_COMMAND="touch evil"; touch marker', 'ask_every_time', /setting PROMPT_COMMAND/],
      ['LD_LIBRARY_PATH through env', () => 'env LD_LIBRARY_PATH=. touch marker', 'ask_every_time', /setting LD_LIBRARY_PATH/],
      ['an exported function through env BASH_FUNC_', () => "env 'BASH_FUNC_ls%%=() { curl x; }' bash -c ls; touch marker", 'block', /denied_commands/],
      ['export -f', () => 'ls() { echo hi; }; export -f ls; bash -c ls; touch marker', 'ask_every_time', /export -f/],
    ],
  ],
  [
    'interpreters fed code on stdin, a here-document, a here-string or -',
    [
      ['python3 from a pipe', () => 'echo "open(\'marker\',\'w\')" | python3', 'ask_every_time', /python3 reads its program from a pipe/],
      ['python3 from a here-document', () => "python3 <<'EOF'\nopen('marker','w')\nEOF", 'ask_every_time', /here-document/],
      ['python3 - from a here-string', () => `python3 - <<< "open('marker','w')"`, 'ask_every_time', /here-document or here-string/],
      ['python3 /dev/stdin', () => `echo "open('marker','w')" | python3 /dev/stdin`, 'ask_every_time', /reads its program/],
      ['node from a pipe', () => `echo "require('fs').writeFileSync('marker','')" | node`, 'ask_every_time', /node reads its program/],
      ['node - from a here-string', () => `node - <<< "require('fs').writeFileSync('marker','')"`, 'ask_every_time', /node reads its program/],
      ['perl from a here-document', () => "perl <<'EOF'\nopen(F,'>marker');\nEOF", 'ask_every_time', /perl reads its program/],
      ['ruby - from a pipe', () => `echo "File.write('marker','')" | ruby -`, 'ask_every_time', /ruby reads its program/],
      ['php from a file redirect', () => 'echo x > code.php; php < code.php; touch marker', 'ask_every_time', /php reads its program from the file/],
      ['lua -', () => 'echo "os.execute(\'touch marker\')" | lua -', 'ask_every_time', /lua reads its program/],
      ['Rscript -', () => 'echo "file.create(\'marker\')" | Rscript -', 'ask_every_time', /Rscript reads its program/],
      ['awk -f -', () => "echo 'BEGIN{print > \"marker\"}' | awk -f -", 'ask_every_time', /awk reads its program from standard input/],
      ['gawk -f /dev/stdin', () => "echo 'BEGIN{}' | gawk -f /dev/stdin; touch marker", 'ask_every_time', /standard input/],
      ['a wrapped interpreter reading a pipe', () => `echo "open('marker','w')" | nice -n 5 python3`, 'ask_every_time', /python3 reads its program from a pipe/],
      ['python3 -c (inline)', () => `python3 -c "open('marker','w')"`, 'ask_every_time', /inline code/],
      ['python3 with bundled -Bc', () => `python3 -Bc "open('marker','w')"`, 'ask_every_time', /inline code/],
      ['perl -E', () => `perl -E 'open(F,">marker")'`, 'ask_every_time', /inline code/],
      ['an interpreter running a script file is an ordinary ask', () => 'python3 build.py; touch marker', 'ask'],
    ],
  ],
  [
    'programs whose options run other commands',
    [
      ['sed e', () => "sed 'e touch evil' public.txt; touch marker", 'ask_every_time', /sed runs a shell command/],
      ['sed s///e', () => "sed 's/.*/touch evil/e' public.txt; touch marker", 'ask_every_time', /s\/\/\/e/],
      ['sed w FILE', () => "sed -n 'w copy.txt' public.txt; touch marker", 'ask_every_time', /writes a file/],
      ['sed -f script', () => 'sed -f script.sed public.txt; touch marker', 'ask_every_time', /script from a file/],
      ['tar --checkpoint-action=exec', () => 'tar --checkpoint=1 --checkpoint-action=exec="touch evil" -cf a.tar public.txt; touch marker', 'ask_every_time', /checkpoint-action/],
      ['tar --to-command', () => 'tar --to-command="touch evil" -xf a.tar; touch marker', 'ask_every_time', /to-command/],
      ['tar --use-compress-program', () => 'tar --use-compress-program="sh -c id" -cf a.tar .; touch marker', 'ask_every_time', /use-compress-program/],
      ['tar -I', () => 'tar -I "sh -c id" -cf a.tar .; touch marker', 'ask_every_time', /tar -I/],
      ['tar old-style keys with I', () => 'tar cIf prog a.tar .; touch marker', 'ask_every_time', /tar -I/],
      ['tar --info-script', () => 'tar --info-script=./x -cf a.tar .; touch marker', 'ask_every_time', /info-script/],
      ['tar on a remote-looking archive', () => 'tar -cf host:a.tar .; touch marker', 'ask_every_time', /remote shell/],
      ['git -c alias.x=!cmd', () => 'git -c alias.x="!touch evil" x; touch marker', 'ask_every_time', /git -c/],
      ['git -c core.fsmonitor', () => 'git -c core.fsmonitor="touch evil" status; touch marker', 'ask_every_time', /git -c/],
      ['git -c core.sshCommand', () => 'git -c core.sshCommand="touch evil" fetch; touch marker', 'ask_every_time', /git -c/],
      ['git --exec-path=', () => 'git --exec-path=. status; touch marker', 'ask_every_time', /exec-path/],
      ['git --git-dir', () => 'git --git-dir=evil status; touch marker', 'ask_every_time', /--git-dir/],
      ['an unknown git subcommand (an alias)', () => 'git evil; touch marker', 'ask_every_time', /not a git command the policy knows/],
      ['git config writing an alias', () => 'git config alias.x "!touch evil"; touch marker', 'ask_every_time', /git config writes/],
      ['git clone --upload-pack', () => 'git clone --upload-pack="touch evil" x y; touch marker', 'ask_every_time', /upload-pack/],
      ['git rebase --exec', () => 'git rebase --exec "touch evil" HEAD~1; touch marker', 'ask_every_time', /git rebase --exec/],
      ['git submodule foreach', () => 'git submodule foreach "touch evil"; touch marker', 'ask_every_time', /git submodule foreach/],
      ['git with GIT_* in the environment', () => 'GIT_SSH_COMMAND="touch evil" git fetch; touch marker', 'ask_every_time', /GIT_SSH_COMMAND/],
      ['ssh -o ProxyCommand=', () => 'ssh -o ProxyCommand="touch evil" host; touch marker', 'ask_every_time', /ProxyCommand/],
      ['ssh -oLocalCommand', () => 'ssh -oPermitLocalCommand=yes -oLocalCommand="touch evil" host; touch marker', 'ask_every_time', /Command runs a local command/],
      ['ssh -F config', () => 'ssh -F ./cfg host; touch marker', 'ask_every_time', /ssh -F/],
      ['scp -S program', () => 'scp -S ./evil a host:b; touch marker', 'ask_every_time', /scp -S/],
      ['find -execdir', () => 'find . -execdir touch evil \\; ; touch marker', 'ask_every_time', /find -execdir/],
      ['find -ok', () => 'find . -ok touch evil \\; ; touch marker', 'ask_every_time', /find -ok/],
      ['find -fprint', () => 'find . -fprint list.txt; touch marker', 'ask_every_time', /-fprint writes a file/],
      ['find -fls', () => 'find . -fls list.txt; touch marker', 'ask_every_time', /-fls writes a file/],
      ['rsync -e', () => 'rsync -e "sh -c id" a host:b; touch marker', 'ask_every_time', /rsync -e/],
      ['rsync --rsync-path', () => 'rsync --rsync-path="touch evil" a host:b; touch marker', 'ask_every_time', /rsync-path/],
      ['less', () => 'less public.txt; touch marker', 'ask_every_time', /less can run shell commands/],
      ['more', () => 'more public.txt; touch marker', 'ask_every_time', /more can run shell commands/],
      ['man', () => 'man ls; touch marker', 'ask_every_time', /man runs a pager/],
      ['vim -c', () => 'vim -c "!touch evil" -c q; touch marker', 'ask_every_time', /an editor can run commands/],
      ['zip -T -TT', () => 'zip -T -TT "touch evil" a.zip public.txt; touch marker', 'ask_every_time', /zip -TT/],
      ['awk system()', () => "awk 'BEGIN{system(\"touch evil\")}'; touch marker", 'ask_every_time', /awk program runs commands/],
      ['awk print to a pipe', () => "awk 'BEGIN{print \"x\" | \"sh\"}'; touch marker", 'ask_every_time', /awk program/],
      ['make', () => 'make all; touch marker', 'ask_every_time', /make runs the recipes/],
      ['parallel', () => 'parallel touch ::: evil; touch marker', 'ask_every_time', /parallel runs another command/],
      ['socat EXEC:', () => 'socat - EXEC:"touch evil"; touch marker', 'ask_every_time', /socat EXEC/],
      ['nc -e', () => 'nc -e /bin/sh 127.0.0.1 9; touch marker', 'ask_every_time', /nc -e/],
      ['rg --pre', () => 'rg --pre ./evil x; touch marker', 'ask_every_time', /rg --pre/],
      ['an awk program that only reads is an ordinary ask', () => "awk '{ if ($1 > 5) print $2 }' public.txt; touch marker", 'ask'],
      ['a sed substitution is an ordinary ask', () => "sed -n 's/a/b/p' public.txt; touch marker", 'ask'],
      ['git status is an ordinary ask', () => 'git status; touch marker', 'ask'],
    ],
  ],
  [
    'the dangerous list (hard blocks)',
    [
      ['rm -r /', () => 'touch marker; rm -r /', 'block', /recursive rm of \/ \(the root folder\)/],
      ['rm --recursive /', () => 'touch marker; rm --recursive -f /', 'block', /root folder/],
      ['rm -R /*', () => 'touch marker; rm -R /*', 'block', /everything in the root folder/],
      ['rm -r //', () => 'touch marker; rm -r //', 'block', /root folder/],
      ['rm -r /./', () => 'touch marker; rm -r /./', 'block', /root folder/],
      ['rm -r /tmp/../', () => 'touch marker; rm -r /tmp/../', 'block', /root folder/],
      ['rm -r /usr (a top-level folder)', () => 'touch marker; rm -r /usr', 'block', /top-level folder/],
      ['rm -r $HOME', () => 'touch marker; rm -r $HOME', 'block', /home folder/],
      ['rm -r "${HOME}"', () => 'touch marker; rm -r "${HOME}"', 'block', /home folder/],
      ['rm -r ~', () => 'touch marker; rm -r ~', 'block', /home folder/],
      ['rm -r ~/', () => 'touch marker; rm -r ~/', 'block', /home folder/],
      ['rm -r ~/.', () => 'touch marker; rm -r ~/.', 'block', /home folder/],
      ['rm -r ~/*', () => 'touch marker; rm -r ~/*', 'block', /home folder/],
      ['rm -r ~/.. (every home)', () => 'touch marker; rm -r ~/..', 'block', /top-level folder/],
      ['rm -r "$DIR"/* with DIR unset', () => 'touch marker; rm -r "$DIR"/*', 'block', /everything in the root folder/],
      ['rm -r .. (above the workspace)', () => 'touch marker; rm -r ..', 'block', /above the working folder/],
      ['rm --no-preserve-root', () => 'touch marker; rm --no-preserve-root -r x', 'block', /no-preserve-root/],
      ['rm -r / behind wrappers', () => 'touch marker; sudo nice -n 5 rm -r -- /', 'block', /root folder/],
      ['find / -delete', () => 'touch marker; find / -name x -delete', 'block', /find deleting from \//],
      ['chmod -R of the home folder', () => 'touch marker; chmod -R 777 ~', 'block', /recursive chmod of ~/],
      ['chown -R of /', () => 'touch marker; chown -R nobody /', 'block', /dangerous/],
      ['rm -r of a workspace folder is an ordinary ask', () => 'mkdir -p build && rm -r ./build; touch marker', 'ask'],
    ],
  ],
  [
    'fork bombs of any name and spacing',
    [
      ['the classic', () => ':(){ :|:& };:', 'block', /dangerous/],
      ['spaced out', () => ': () { : | : & } ; :', 'block', /fork bomb/],
      ['named f', () => 'f(){ f|f& };f', 'block', /fork bomb/],
      ['named bomb, multi-line', () => 'bomb() {\n  bomb | bomb &\n}\nbomb', 'block', /fork bomb/],
      ['function keyword with & and ;', () => 'function b { b & b; }; b', 'block', /fork bomb/],
      ['through another function', () => 'a(){ b|b& }; b(){ a; }; a', 'block', /fork bomb/],
      ['through a subshell', () => 'x(){ ( x ) & }; x', 'block', /fork bomb/],
      ['a recursive function that does not fork is an ordinary ask', () => 'walk() { for d in "$1"/*; do [ -d "$d" ] && walk "$d"; done; }; walk .; touch marker', 'ask'],
    ],
  ],
  [
    'piping into any shell (hard blocks)',
    [
      ['| dash', () => 'echo "touch marker" | dash', 'block', /piping into a shell \(dash\)/],
      ['| ksh', () => 'echo "touch marker" | ksh', 'block', /piping into a shell/],
      ['| mksh', () => 'echo "touch marker" | mksh', 'block', /piping into a shell/],
      ['| fish', () => 'echo "touch marker" | fish', 'block', /piping into a shell/],
      ['| /bin/sh (also the piping pattern)', () => 'echo "touch marker" | /bin/sh', 'block', /piping into a shell|dangerous pattern/],
      ['| /usr/bin/env bash', () => 'echo "touch marker" | /usr/bin/env bash', 'block', /piping into a shell \(bash\)/],
      ['| busybox sh', () => 'echo "touch marker" | busybox sh', 'block', /piping into a shell/],
      ['| sudo -u root zsh', () => 'echo "touch marker" | sudo -u root zsh', 'block', /piping into a shell/],
      ['| nice -n 1 dash -s', () => 'echo "touch marker" | nice -n 1 dash -s', 'block', /piping into a shell/],
      ['|& into a shell', () => 'echo "touch marker" |& dash', 'block', /piping into a shell/],
      ['| xargs sh -c', () => 'echo "touch marker" | xargs -0 dash -c', 'block', /like piping into a shell/],
      ['a shell reading a pipe inside a function', () => 'f() { dash; }; echo "touch marker" | f', 'block', /piping into a shell/],
      ['dash <(…)', () => 'dash <(echo "touch marker")', 'block', /another command's output as a script/],
      ['dash -c "$(…)"', () => 'dash -c "$(echo touch marker)"', 'block', /another command's output as shell code/],
      ['eval "$(…)"', () => 'eval "$(echo touch marker)"', 'block', /another command's output as shell code/],
      ['source <(…)', () => 'source <(echo touch marker)', 'block', /another command's output as a script/],
      ['. /dev/stdin from a pipe', () => 'echo "touch marker" | . /dev/stdin', 'block', /runs whatever the pipe carries/],
      ['dash <<< "$(…)"', () => 'dash <<< "$(echo touch marker)"', 'block', /another command's output as shell code/],
      ['a literal here-document into a shell is judged as a script', () => "dash <<'EOF'\nrm -r /\nEOF\ntouch marker", 'block', /root folder/],
      ['a shell running a script file asks every time', () => 'echo "touch marker" > s.sh; dash s.sh', 'ask_every_time', /another shell/],
    ],
  ],
  [
    'computed and globbed program names',
    [
      ['$x with rm arguments', () => 'touch marker; $x -r /', 'block', /could be rm/],
      ['${x} with rm arguments', () => 'touch marker; ${x} -r ~', 'block', /could be rm/],
      ['$(…) as the program', () => 'touch marker; $(echo rm) -r /', 'block', /could be rm/],
      ['/bin/r? glob', () => 'touch marker; /bin/r? -r /', 'block', /could be rm/],
      ['/???/rm glob folder', () => 'touch marker; /???/rm -r ~/.', 'block', /home folder/],
      ["r''m (quotes removed)", () => "touch marker; r''m -r /", 'block', /recursive rm/],
      ['\\rm (escape removed)', () => 'touch marker; \\rm -r /', 'block', /recursive rm/],
      ['a glob that could be a denied program', () => 'touch marker; /usr/bin/cur? x', 'block', /could be "curl"/],
      ['a computed name reading a pipe', () => 'echo "touch marker" | $SHELL', 'block', /could be a shell/],
      ['a computed name with allowed_commands set', () => 'C=ls; $C; touch marker', 'block', /cannot be checked against allowed_commands/, { allowed_commands: ['ls', 'touch'] }],
      ['a computed name otherwise asks every time', () => 'C=touch; $C marker', 'ask_every_time', /computed by the shell/],
      ['[ is not a computed name', () => '[ -f public.txt ] && touch marker', 'ask'],
      ['test is not a computed name', () => 'test -f public.txt && touch marker', 'ask'],
    ],
  ],
  [
    'commands that read process environments',
    [
      ['/proc/$PPID/environ', () => 'cat /proc/$PPID/environ > marker', 'ask_every_time', /process environment/],
      ['/proc/$$/environ', () => 'cat /proc/$$/environ > marker', 'ask_every_time', /process environment/],
      ['/proc/self/../PID/environ', () => 'cat /proc/self/../1/environ > marker', 'ask_every_time', /process environment/],
      ['/proc/*/env* (globbed)', () => 'cat /proc/*/env* > marker', 'ask_every_time', /process environment/],
      ['/pr?c/1/e* (globbed folder)', () => 'cat /pr?c/1/e* > marker', 'ask_every_time', /process environment|\/proc/],
      ['quoted pieces', () => 'cat "/proc/self/env"iron > marker', 'ask_every_time', /process environment/],
      ['computed through a variable', () => 'f=/proc/self/environ; cat $f > marker', 'ask_every_time', /process environment/],
      ['cd into /proc first', () => 'cd /proc/self && cat env* > /dev/null; touch marker', 'ask_every_time', /\/proc/],
      ['a read redirection', () => 'tr "\\0" "\\n" < /proc/1/environ > marker', 'ask_every_time', /process environment/],
      ['xargs -a', () => 'xargs -0 -a /proc/self/environ echo > marker', 'ask_every_time', /process environment/],
      ['another /proc file', () => 'cat /proc/1/cmdline > marker', 'ask_every_time', /reaches into \/proc/],
      ['ps eww', () => 'ps eww -p $PPID > marker', 'ask_every_time', /ps eww prints each process's environment/],
      ['ps auxe', () => 'ps auxe > marker', 'ask_every_time', /environment/],
      ['ps -E', () => 'ps -E > marker', 'ask_every_time', /environment/],
      ['a secret file named as an argument', () => 'cat .env > marker', 'ask_every_time', /secret file/],
      ['a glob that picks secret files', () => 'cat keys/*.pem > marker', 'ask_every_time', /picks secret files/],
      ['system-wide /proc files are an ordinary ask', () => 'cat /proc/cpuinfo > marker', 'ask'],
      ['ps aux is an ordinary ask', () => 'ps aux > marker', 'ask'],
    ],
  ],
];

describe('security: command policy escapes', () => {
  let h: Harness;
  beforeEach(() => {
    h = makeHarness();
    h.file('public.txt', 'a 6 b\n');
  });
  afterEach(() => h.cleanup());

  for (const [category, cases] of CATEGORIES) {
    describe(category, () => {
      for (const [name, command, expected, reason, settings] of cases) {
        it(`${expected}: ${name}`, async () => {
          const cmd = command(h.outside);
          const scope = h.scope(undefined, { settings: { denied_commands: ['curl'], ...settings } });
          const prepared = await h.prepare('bash', { command: cmd }, scope);
          assert.equal(prepared.decision.kind, expected, `${cmd}\n${JSON.stringify(prepared.decision)}`);
          if (reason) assert.match(prepared.decision.reason, reason);
          const auth = expected === 'block' ? ({ by: 'user' } as const) : expected === 'ask_every_time' ? ({ by: 'yes_flag' } as const) : ({ by: 'policy' } as const);
          const outcome = await h.engine.execute(prepared, auth, new AbortController().signal);
          // What the model is sent: that the call did not run, and why.
          assert.equal(outcome.status, 'blocked');
          assert.match(outcome.status === 'blocked' ? outcome.error : '', expected === 'block' ? /./ : /approv/);
          assert.equal(fs.existsSync(path.join(h.root, 'marker')), false, 'marker created in the workspace');
          assert.equal(fs.existsSync(path.join(h.outside, 'marker')), false, 'marker created outside');
          assert.equal(fs.existsSync(path.join(h.root, 'evil')), false, 'a hidden command ran');
        });
      }
    });
  }

  describe('what the policy does not over-block: approved by the user, these run', () => {
    const runs: ReadonlyArray<readonly [string, string]> = [
      ['[ … ] && touch', '[ -f public.txt ] && touch marker'],
      ['a wrapper around an allowed program', 'nice -n 5 timeout 5 touch marker'],
      ['flock with a lock file and a command', 'flock ./.lock touch marker'],
      ['env with an ordinary variable', 'env LANG=C touch marker'],
      ['an awk program that only prints, redirected by the shell', "awk '{ print $2 }' public.txt > marker"],
      ['a sed substitution', "sed 's/a/b/' public.txt > marker"],
    ];
    for (const [name, command] of runs) {
      it(name, async () => {
        const { prepared, outcome } = await h.run('bash', { command }, { by: 'user' }, h.scope(undefined, { settings: { denied_commands: ['curl'] } }));
        assert.notEqual(prepared.decision.kind, 'block', JSON.stringify(prepared.decision));
        assert.equal(outcome.status, 'ok', JSON.stringify(outcome));
        assert.equal(fs.existsSync(path.join(h.root, 'marker')), true);
      });
    }
  });
});
