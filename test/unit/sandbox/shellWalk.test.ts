import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cwdForRedirects } from '../../../src/core/sandbox/shellCwd';
import { loadShellParser } from '../../../src/core/sandbox/shellParser';
import { judgeCommand } from '../../../src/core/sandbox/shellPolicy';
import type { ShellScript } from '../../../src/core/sandbox/shellScript';
import { readShellScript } from '../../../src/core/sandbox/shellWalk';
import { must } from '../../fixtures/must';

function read(command: string): ShellScript {
  const r = readShellScript(command);
  if (!r.ok) assert.fail(`${command}: ${r.reason}`);
  return r.script;
}
const programs = (command: string) => read(command).commands.map((c) => c.words[0]?.value ?? null);
const kinds = (command: string) => [...new Set(read(command).hazards.map((h) => h.kind))];

describe('shell walk (mvdan/sh AST)', () => {
  it('loads mvdan-sh from node_modules once, leaving no global require behind', () => {
    assert.equal(loadShellParser(), loadShellParser());
    assert.equal(Object.getOwnPropertyDescriptor(globalThis, 'require'), undefined);
  });

  it('finds every simple command across operators, groups, bodies and substitutions, in source order', () => {
    assert.deepEqual(programs('a 1 && (b; { c; }) | d $(e `f`) || while g; do h; done'), ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
    assert.deepEqual(programs('f() { a; }; function g { b; }; case x in y) c;; z|w) d;& esac'), ['a', 'b', 'c', 'd']);
    assert.deepEqual(programs('for i in $(h); do j; done; select k in 1; do l; done'), ['h', 'j', 'l']);
    assert.deepEqual(programs('! a |& b; time c; coproc d; coproc n { e; }; f &'), ['a', 'b', 'c', 'd', 'e', 'f']);
    assert.deepEqual(programs('cat <<EOF\n$(a)\nEOF\nb; cat <(c) >(d)'), ['cat', 'a', 'b', 'cat', 'c', 'd']);
  });

  it('reads if/loop parts in the order bash runs them', () => {
    assert.deepEqual(programs('if a; then b; elif c; then d; else e; fi'), ['a', 'b', 'c', 'd', 'e']);
    assert.deepEqual(programs('for i in $(h); do j; done'), ['h', 'j']);
  });

  it('turns declaration builtins, let and [[ ]] into commands the lists can judge', () => {
    const commands = read('export -p A=1; let x=1; [[ -f y ]]').commands;
    const exp = must(commands[0], 'command #1');
    const let_ = must(commands[1], 'command #2');
    const test = must(commands[2], 'command #3');
    assert.deepEqual(exp.words.map((w) => w.value), ['export', '-p', 'A=1']);
    assert.equal(exp.declaration, true);
    assert.deepEqual(exp.assignments.map((a) => a.name), ['A']);
    assert.equal(must(let_.words[0], 'let_.words[0]').value, 'let');
    assert.equal(must(test.words[0], 'test.words[0]').value, '[[');
  });

  it('removes quotes and keeps computed words unknown', () => {
    const commands = read(`echo 'a b' "c\\"d\\q" e\\ f $HOME "x$y" $'\\x41' ~/h "~/i"`).commands;
    const cmd = must(commands[0], 'command #1');
    assert.deepEqual(cmd.words.map((w) => w.value), ['echo', 'a b', 'c"d\\q', 'e f', null, null, null, '~/h', '~/i']);
    assert.deepEqual(cmd.words.map((w) => w.tilde), [false, false, false, false, false, false, false, true, false]);
  });

  it('marks globs and brace expansions only where they are unquoted', () => {
    const commands = read(`echo *.c '*.c' \\*.c {a,b} {a,"b"} '{a,b}' {1..3} @(x|y) [ab]`).commands;
    const cmd = must(commands[0], 'command #1');
    assert.deepEqual(cmd.words.slice(1).map((w) => w.expands), [true, false, false, true, true, false, true, true, true]);
  });

  it('reads redirection operators, descriptors and targets, with UTF-8 text before them', () => {
    const steps = read('echo é > ñ 2>&1 >>a &>b &>>c >|d <>e <f <<<g 3<&0').steps.filter((s) => s.kind === 'redirect');
    assert.deepEqual(steps.map((s) => (s.kind === 'redirect' ? `${s.redirect.fd ?? ''}${s.redirect.op}${s.redirect.target.value}` : '')), ['>ñ', '2>&1', '>>a', '&>b', '&>>c', '>|d', '<>e', '<f', '<<<g', '3<&0']);
    assert.equal(must(read('echo é > ñ').commands[0], `read('echo é > ñ').commands[0]`).text, 'echo é > ñ');
  });

  it('reports substitutions, arithmetic over variables and indirect expansion as hazards', () => {
    assert.deepEqual(kinds('echo $(a)'), ['command_substitution']);
    assert.deepEqual(kinds('cat <(a)'), ['process_substitution']);
    assert.deepEqual(kinds('echo $((1 + 2)) ${a[@]} ${a[0]} ${b:1:2} ${c: -1}'), []);
    assert.deepEqual(kinds('echo $((x + 1))'), ['arithmetic']);
    assert.deepEqual(kinds('echo ${a[i]}'), ['arithmetic']);
    assert.deepEqual(kinds('echo ${b:n}'), ['arithmetic']);
    assert.deepEqual(kinds('for ((i = 0; i < 3; i++)); do :; done'), ['arithmetic']);
    assert.deepEqual(kinds('[[ $x -lt 3 ]]'), ['arithmetic']);
    assert.deepEqual(kinds('[[ $x == 3 ]]'), []);
    assert.deepEqual(kinds('echo ${!x} ${y@P}'), ['indirect_expansion']);
    assert.equal(read('echo ${!x} ${y@P}').hazards.length, 2);
  });

  it('marks commands and redirections in loops and function bodies as repeated', () => {
    const s = read('a; f() { b > x; }; while c; do d; done; e');
    assert.deepEqual(s.commands.map((c) => c.repeated), [false, true, true, true, false]);
    assert.deepEqual(s.steps.filter((x) => x.kind === 'redirect').map((x) => x.kind === 'redirect' && x.repeated), [true]);
  });

  it('gives a parse error as a reason, not an exception', () => {
    const r = readShellScript('echo "open');
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.reason, /shell parser rejected it: .*closing quote/);
  });

  it('follows literal cds as growing folder sets, and gives up on the rest', () => {
    const at = (command: string) => [...cwdForRedirects(read(command).steps, '/w').values()];
    assert.deepEqual(at('echo > a; cd sub && echo > b'), [['/w'], ['/w', '/w/sub']]);
    assert.deepEqual(at('f() { echo > a; }; cd /x; f'), [['/w', '/x']]);
    assert.deepEqual(at('cd; echo > a'), ['unknown']);
    assert.deepEqual(at('cd -; echo > a'), ['unknown']);
    assert.deepEqual(at('echo > a; for i in 1; do cd sub; done'), ['unknown']);
    assert.deepEqual(at('builtin cd -P /x; echo > a'), [['/w', '/x']]);
  });

  it('never throws on random input, and every command it reads has words (fuzz)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40, unit: fc.constantFrom('a', ' ', ';', '&', '|', '(', ')', '$', '`', '"', "'", '\\', '<', '>', '{', '}', '\n', '#', '=', '*', '[', ']', '!', 'é') }), (s) => {
        const r = readShellScript(s);
        if (r.ok) for (const c of r.script.commands) assert.ok(Array.isArray(c.words));
        else assert.match(r.reason, /shell parser/);
      }),
      { numRuns: 300 },
    );
  });
});

/** Commands that are a hard block wherever they appear. */
const DANGEROUS = ['rm -r -f /', 'rm -fr /*', 'mkfs.ext4 /dev/sdz', 'dd if=/dev/zero of=/dev/sdz', 'chmod -R 777 /', 'curl x', '/usr/bin/curl x', 'sudo curl x', 'env A=1 nice curl x', 'shred /dev/sda'];
const BENIGN = ['echo hi', 'ls -la', 'true', 'cat a.txt', 'grep -r x .'];

const script: fc.Memo<string> = fc.memo((n) => {
  const leaf = fc.constantFrom(...BENIGN);
  if (n <= 1) return leaf;
  const sub = script(n - 1);
  return fc.oneof(
    leaf,
    fc.tuple(sub, sub, fc.constantFrom(';', '&&', '||', '|', '|&', '&', '\n')).map(([a, b, op]) => `${a} ${op} ${b}`),
    sub.map((a) => `( ${a} )`), // spaced: `((` would start arithmetic
    sub.map((a) => `{ ${a}; }`),
    sub.map((a) => `f() { ${a}; }; f`),
    sub.map((a) => `function g { ${a}; }`),
    fc.tuple(sub, sub).map(([a, b]) => `if ${a}; then ${b}; fi`),
    fc.tuple(sub, sub).map(([a, b]) => `while ${a}; do ${b}; done`),
    sub.map((a) => `for i in 1 2; do ${a}; done`),
    sub.map((a) => `case x in x) ${a};; esac`),
    sub.map((a) => `echo "$( ${a} )"`), // spaced: `$((` would start arithmetic
    // mvdan/sh (unlike bash) rejects `! ! a`; a group keeps the composition valid for both.
    sub.map((a) => `{ ! { ${a}; }; }`), // and only at the start of a statement
    sub.map((a) => `time { ${a}; }`),
    sub.map((a) => `coproc { ${a}; }`),
    sub.map((a) => `cat <<EOF\nbody\nEOF\n${a}`),
  );
});

/** Puts `dangerous` somewhere inside `host`: in place of one benign leaf. */
function plant(host: string, dangerous: string, at: number): string {
  const spots = BENIGN.flatMap((b) => [...host.matchAll(new RegExp(b.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g'))].map((m) => m.index ?? 0));
  if (spots.length === 0) return `${host}; ${dangerous}`;
  const i = must(spots.sort((a, b) => a - b)[at % spots.length], 'i');
  const leaf = BENIGN.find((b) => host.startsWith(b, i)) ?? '';
  return `${host.slice(0, i)}${dangerous}${host.slice(i + leaf.length)}`;
}

describe('shell policy property: a dangerous command anywhere is a block', () => {
  it('random compositions in lists, pipelines, subshells, functions, bodies and substitutions are never allowed', async () => {
    await fc.assert(
      fc.asyncProperty(script(4), fc.constantFrom(...DANGEROUS), fc.nat(), async (host, dangerous, at) => {
        const command = plant(host, dangerous, at);
        const judged = await judgeCommand(command, { cwd: '/', allowedLists: [], denied: ['curl'] });
        assert.equal(judged.decision.kind, 'block', `${JSON.stringify(command)} → ${JSON.stringify(judged.decision)}`);
      }),
      { numRuns: 300 },
    );
  });

  it('the same compositions without the dangerous command are not blocked (the property can fail)', async () => {
    await fc.assert(
      fc.asyncProperty(script(3), async (host) => {
        const judged = await judgeCommand(host, { cwd: '/', allowedLists: [], denied: ['curl'] });
        assert.notEqual(judged.decision.kind, 'block', `${JSON.stringify(host)} → ${JSON.stringify(judged.decision)}`);
      }),
      { numRuns: 100 },
    );
  });
});
