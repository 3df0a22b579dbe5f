"""The JavaScript subset real Noodl scripts use, checked against Node's own answers.

Each script below runs twice: in Node (``node``, as Noodl's editor would run it, with
``where``/``filter``/``sort`` recording their argument and the clock in UTC) and in the
interpreter; the JSON of what ``where()`` received must be the same. Node is a real
component here: without it these tests fail and say what to install.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
from typing import Any

import pytest

from querylang.errors import LimitExceeded, QueryError, QuerySyntaxError, ScriptError
from querylang.model.jsvalues import UNDEFINED, JSDate, JSRegex
from querylang.script import MAX_CALL_DEPTH, run_script

INPUTS: dict[str, Any] = {
    "Ids": [" a1 ", "b2", " c3"],
    "Tags": ["x", "y"],
    "Min": 3,
    "Owner": {"objectId": "u1", "name": "Ann"},
    "Since": "2024-03-31T22:30:00.000Z",
    "Counts": {"10": "ten", "2": "two", "b": "bee", "1": "one"},
}

SCRIPTS = [
    # arrow functions as callbacks
    "where({ objectId: { containedIn: Inputs.Ids.map(s => s.trim()) } })",
    "where({ a: Inputs.Ids.map((s, i) => `${i}:${s.trim()}`) })",
    "where({ a: [1, 2, 3, 4, 5].filter(n => n % 2 === 1) })",
    "where({ a: [1, 2, 3].some(n => n > 2), b: [1, 2, 3].every(n => n > 2) })",
    "where({ a: [5, 12, 8].find(n => n > 6), b: [5].find(n => n > 6) ?? null })",
    "where({ a: [5, 12, 8].findIndex(n => n > 6), b: [1].findIndex(n => n > 6) })",
    "where({ a: [1, 2, 3, 4].reduce((acc, n) => acc + n, 0) })",
    "where({ a: [1, 2, 3, 4].reduce((acc, n) => acc * n) })",
    "where({ a: ['a', 'b'].reduce((o, k, i) => ({ ...o, [k]: i }), {}) })",
    "where({ a: [0, 1, '', 'x', null].filter(Boolean) })",
    "where({ a: ['1', '2'].map(Number), b: [1, 2].map(String) })",
    "const double = x => x * 2\nwhere({ a: [1, 2].map(double), b: double(21) })",
    "const f = (a, b) => { const s = a + b\n  return s * 2 }\nwhere({ a: f(1, 2) })",
    "const f = () => { if (Inputs.Min > 2) { return 'big' }\n  return 'small' }\nwhere({ a: f() })",
    "const f = () => {}\nwhere({ a: f() === undefined })",
    "const add = a => b => a + b\nwhere({ a: add(2)(3) })",
    "const out = [];\n[1, 2, 3].forEach(n => out.push(n * 10))\nwhere({ a: out })",
    # no semicolon: the line continues (`[][1, 2, 3]`), in JavaScript as here, and fails
    "const out = []\n[1, 2, 3].forEach(n => out.push(n * 10))\nwhere({ a: out })",
    "const fact = n => n <= 1 ? 1 : n * fact(n - 1)\nwhere({ a: fact(10) })",
    "where({ a: [[1, 2], [3]].map(p => p.length), b: typeof (x => x) })",
    "let n = 0\nconst inc = () => { n += 1\n  return n }\ninc(); inc()\nwhere({ a: n })",
    # `x += f()` reads x before f runs, even when f assigns x
    "let n = 1\nconst f = () => { n = 10\n  return 1 }\nn += f()\nwhere({ a: n })",
    "where({ a: String((a, b) => a + b) })",
    # a let/const name is its block's from the block's top (the temporal dead zone):
    # using it before its declaration throws, never reads or writes an outer variable
    "let x = 1\n{ x = 5\n  let x = 2 }\nwhere({ a: x })",
    "let x = 1\nconst f = () => { let x = x + 1\n  return x }\nwhere({ a: f() })",
    "const v = 1\nconst f = () => { if (v) { return v }\n  const v = 2 }\nwhere({ a: f() })",
    "const f = () => g()\nconst a = f()\nconst g = () => 1\nwhere({ a })",
    "const f = () => g()\nconst g = () => 1\nwhere({ a: f() })",
    # replace / replaceAll call an arrow function given as the replacement
    "where({ a: 'abcb'.replaceAll('b', (m, i) => i), b: 'abc'.replace('b', m => m.toUpperCase()),\n"
    "  c: 'a😀b😀'.replaceAll('😀', (m, i, s) => `${i}/${s.length}`), d: 'abc'.replaceAll('', (m, i) => i) })",
    # `var` may declare a parameter's name again (let and const may not)
    "const f = (x, y) => { var y = x + 1\n  var x\n  return [x, y] }\nwhere({ a: f(1, 5) })",
    # sort and reverse change the array in place and return it (README: the everyday array
    # methods; they were "Unknown method 'sort' on array")
    "const a = [3, 1, 10, 2]\nconst r = a.sort()\nwhere({ a: a, same: r === a, b: [3, 1, 10, 2].sort((x, y) => x - y) })",
    "where({ a: ['b', undefined, 'a', null, true, 1].sort(), b: ['\\u{1F600}', '\\uFFFF', 'Z', 'a'].sort() })",
    "where({ a: [{ n: 2, k: 'a' }, { n: 1, k: 'b' }, { n: 2, k: 'c' }].sort((x, y) => x.n - y.n).map(o => o.k),\n"
    "  b: [2, 1, 3].sort(() => NaN), c: [1, 2, 3].sort((x, y) => y - x) })",
    "const a = [1, 2, 3]\nconst r = a.reverse()\nwhere({ a: a, same: r === a, b: [].reverse() })",
    # sort writes the sorted elements back where it read them: one the comparator pushed stays
    "const a = [3, 1, undefined, 2]\nconst r = a.sort((p, q) => { a.push(0)\n  return p - q })\n"
    "const b = [3, 1, 2]\nb.sort((p, q) => { b.reverse()\n  return p - q })\nwhere({ a, same: r === a, b })",
    # flat and flatMap: the depth is ToIntegerOrInfinity (NaN is 0, undefined 1)
    "const n = [1, [2, [3, [4, [5]]]]]\nwhere({ a: n.flat(), b: n.flat(2), c: n.flat(Infinity),\n"
    "  d: n.flat(NaN), e: n.flat(-1), f: n.flat('2'), g: n.flat(null), h: n.flat(1.9),\n"
    "  i: n.flat(undefined), j: n.flat([3]), k: [[], [[]], 'ab'].flat(), same: n.flat(0) === n })",
    "where({ a: Inputs.Ids.flatMap(s => s.trim().split('')), b: [1, 2].flatMap((x, i, arr) => [x, [i, arr.length]]),\n"
    "  c: ['a', 'b'].flatMap(x => x), d: [[1], [2]].flatMap(x => x), e: [].flatMap(x => [x, x]) })",
    "const a = [1, 2, 3]\nwhere({ a: a.flatMap(x => { a.push(x)\n  return [x] }), b: a })",
    "where({ a: [1].flatMap(5) })",
    "where({ a: [].flatMap() })",
    # toSorted and toReversed: sort's order on a copy, the array itself untouched
    "const a = [3, undefined, 1, 10, null, 'b', 2]\nconst s = a.toSorted()\n"
    "where({ s, a, r: a.toReversed(), same: s === a || a.toReversed() === a, e: [].toSorted() })",
    "const a = [{ n: 2, k: 'a' }, { n: 1, k: 'b' }, { n: 2, k: 'c' }]\n"
    "where({ a: a.toSorted((x, y) => x.n - y.n).map(o => o.k), b: a.map(o => o.k),\n"
    "  c: [1, 2, 3].toSorted((x, y) => y - x), d: [2, 1].toSorted(() => NaN), e: ['\\u{1F600}', '\\uFFFF'].toSorted(),\n"
    "  f: [2, 1].toSorted(undefined), g: [1, [2, 3]].toReversed() })",
    "const a = [2, 1]\nwhere({ s: a.toSorted((x, y) => { a.push(0)\n  return x - y }), a })",
    "where({ a: [2, 1].toSorted(null) })",
    "where({ a: [].toSorted(5) })",
    # encodeURIComponent / decodeURIComponent / encodeURI / decodeURI: UTF-8, JavaScript's sets
    "const s = \"a b&c=d/e?f#g;h:i@j+k$l,m -_.!~*'()[]{}|\\\\^`\\\"<>%é€\\u{1F600}\\u0000\\u007f\"\n"
    "where({ c: encodeURIComponent(s), u: encodeURI(s), back: decodeURIComponent(encodeURIComponent(s)) === s,\n"
    "  n: [encodeURIComponent(), encodeURIComponent(null), encodeURIComponent(12.5), encodeURI([1, 'é'])],\n"
    "  pair: encodeURIComponent('\\ud83d' + '\\ude00'), ids: Inputs.Ids.map(encodeURIComponent) })",
    "where({ a: decodeURIComponent('%3B%2F%3f%23%20%5b%C3%A9%e2%82%ac%F0%9F%98%80 é+x'),\n"
    "  b: decodeURI('%3B%2F%3f%23%20%5b%C3%A9%e2%82%ac%F0%9F%98%80 é+x%2b%2C%24%40%26%3D%3A%41'),\n"
    "  c: decodeURIComponent(''), d: decodeURI('no escapes'), e: decodeURIComponent(encodeURI('a b')) })",
    # a lone surrogate finds half of an astral character, as JavaScript searches UTF-16 units
    "where({ a: ['a\\u{1F600}b\\u{1F600}'.split('\\ude00'), '\\u{1F600}'.split('\\ud83d', 1), 'x\\u{1F600}'.split('x\\ud83d')],\n"
    "  b: ['\\u{1F600}'.includes('\\ud83d'), '\\u{1F600}'.startsWith('\\ud83d'), '\\u{1F600}'.endsWith('\\ude00'),\n"
    "    'a\\u{1F600}'.includes('\\ude00', 1), '\\u{1F600}'.startsWith('\\ude00'), '\\u{1F600}x'.endsWith('\\ud83d', 1)] })",
    "where({ a: encodeURIComponent('\\ud800') })",
    "where({ a: encodeURI('x\\udc00') })",
    "where({ a: decodeURIComponent('%E0%A4') })",
    "where({ a: decodeURIComponent('%C0%80') })",
    "where({ a: decodeURIComponent('%ED%A0%80') })",
    "where({ a: decodeURIComponent('%F4%90%80%80') })",
    "where({ a: decodeURIComponent('%80') })",
    "where({ a: decodeURIComponent('100%') })",
    "where({ a: decodeURIComponent('%4') })",
    "where({ a: decodeURIComponent('%+1') })",
    "where({ a: decodeURI('%C3%3B') })",
    "where({ a: decodeURI('%zz') })",
    # parseInt in a radix other than 2, 4, 8, 10, 16 or 32 may approximate (the language says
    # so): node's value, as V8 folds chunks of digits into a double, not the exact one rounded
    "where({ a: [parseInt('9007199254740993', 36), parseInt('ocm6drcv6oiw', 35), parseInt('21100211201001012220222011112111011210102022', 3),\n"
    "  parseInt('0203335310303340532514020005403513504133412151', 6), parseInt('-000946484646573766112', 11),\n"
    "  parseInt('1'.repeat(5000), 3), 1 / parseInt('-00', 7)].map(String) })",
    # push
    "const ids = []\nids.push('a')\nconst n = ids.push('b', 'c')\nwhere({ a: ids, n: n })",
    "const conds = []\nif (Inputs.Min) conds.push({ likes: { greaterThan: Inputs.Min } })\n"
    "where({ and: conds })",
    # spread
    "const a = [1, 2]\nwhere({ a: [...a, 3], b: [0, ...a, ...a] })",
    "where({ a: [...'héllo'], b: Math.max(...[1, 5, 3]) })",
    "const base = { x: 1, y: 2 }\nwhere({ ...base, y: 3, z: 4 })",
    "where({ a: { ...null, ...undefined, ...[7, 8], ...'ab' } })",
    "const o = { b: 1, a: 2 }\nwhere({ a: { ...o, 2: 'two', 1: 'one' } })",
    "where({ tags: { containedIn: [...Inputs.Tags, 'z'] } })",
    # Object namespace
    "where({ a: Object.keys(Inputs.Owner), b: Object.values(Inputs.Owner) })",
    "where({ a: Object.entries({ x: 1, y: [2] }) })",
    "const t = { a: 1 }\nconst r = Object.assign(t, { b: 2 }, null, { a: 3 })\n"
    "where({ t: t, same: r === t })",
    "where({ a: Object.keys([4, 5]), b: Object.keys('hi'), c: Object.keys(5) })",
    "where({ a: Object.fromEntries([['x', 1], ['y', 2]]) })",
    "where({ a: Object.assign({}, ...[{ p: 1 }, { q: 2 }]) })",
    "where({ a: Object.keys({ b: 1, 10: 2, 2: 3, a: 4 }) })",
    # an input object lists its integer keys first, as the JavaScript object Noodl passes
    "where({ a: Object.keys(Inputs.Counts), b: JSON.stringify(Inputs.Counts) })",
    # date setters (the clock is UTC on both sides)
    "const d = new Date('2024-03-15T10:20:30.400Z')\nd.setDate(d.getDate() - 20)\n"
    "where({ a: d.toISOString() })",
    "const d = new Date('2024-03-15T10:20:30.400Z')\nconst r = d.setHours(0, 0, 0, 0)\n"
    "where({ a: d, r: r })",
    "const d = new Date('2024-01-31T00:00:00Z')\nd.setMonth(1)\nwhere({ a: d })",
    "const d = new Date('2024-01-31T00:00:00Z')\nd.setUTCDate(0)\nwhere({ a: d })",
    "const d = new Date('2024-12-31T23:59:59Z')\nd.setUTCSeconds(60)\nd.setUTCMinutes(-1)\n"
    "where({ a: d })",
    "const d = new Date('2024-02-29T12:00:00Z')\nd.setFullYear(2025)\nwhere({ a: d })",
    "const d = new Date('2024-02-29T12:00:00Z')\nd.setFullYear(2023, 11, 25)\nwhere({ a: d })",
    "const d = new Date('2024-02-29T12:00:00Z')\nd.setMilliseconds(1500)\n"
    "d.setUTCHours(25)\nwhere({ a: d })",
    "const d = new Date(0)\nd.setTime(86400000 * 3)\nwhere({ a: d })",
    "const d = new Date('2024-01-01T00:00:00Z')\nconst e = d\ne.setDate(10)\n"
    "where({ a: d.getDate() })",
    "const d = new Date('x')\nwhere({ a: d.setDate(1), b: isNaN(d.getTime()) })",
    "const d = new Date('x')\nd.setFullYear(2020)\nwhere({ a: d })",
    "const d = new Date('2024-05-05T00:00:00Z')\nwhere({ a: d.setDate(NaN), b: d.getTime() })",
    # V8 bounds the year (±1,000,000) and the month (±10,000,000) before a far day brings the
    # date back in range, counts days before the year -399,999 one late, and adds the time
    # fields in doubles (setMinutes below rounds)
    "where({ a: [Date.UTC(1000000, 0, -364522971), Date.UTC(1000000.5, 0, -364522971), Date.UTC(1000001, 0, -364523337),\n"
    "  Date.UTC(1970, 10000000, -304368747), Date.UTC(1970, 10000001, -304368778), Date.UTC(1970, -10000000, 304368751),\n"
    "  Date.UTC(-1000001, 12, 365962029), Date.UTC(56, 27509435, -810842970, 560135186, -64921)],\n"
    "  b: new Date(249421, -31151299, 921309737, 55, 170359, -570380382), c: new Date(99.5, 0), d: Date.UTC(-0.5, 0) })",
    "const d = new Date(2207177204163465)\nconst e = new Date(0)\n"
    "where({ a: d.setMinutes(-159412705495), d, b: e.setFullYear(1000001, -12), e })",
    # date text that is not ISO-8601, read as node reads it (it was an Invalid Date)
    "where({ a: ['Jan 1 2024', '2024/01/15', '01/15/2024', 'March 7, 2024 10:30 PM', '7 March 2024', '2024-1-1',\n"
    "  'Thu, 01 Jan 1970 00:00:00 GMT', '2024-1-1 10:00 -0800', '3', '(c) Jan 5 99 EST', '2024-01-15 10:00:00.5',\n"
    "  'Jan 1 2024 13:00 pm', 'x 1 Jan 2024', '1 Jan 2024 x', '00012345000', '0001234567', 'Jan 1 2024\\0 x', '\\u00a012', '\\u00a012\\u2028',\n"
    "  '\\uff12\\uff10\\uff12\\uff14-01-01', '2024-01-01T10:00 +01:00', 'Jan 1 2024 10:00 +596524:'].map(s => Date.parse(s)),\n"
    "  b: new Date('Sat Jun 15 2024 10:00:00 GMT-0700 (PDT)'), c: new Date('12:30 am Jan 5 2024').getUTCHours() })",
    "const since = new Date(Inputs.Since)\nsince.setUTCHours(0, 0, 0, 0)\n"
    "where({ createdAt: { greaterThan: since } })",
    # console.log is accepted and ignored
    "console.log('hello', Inputs.Min)\nconsole.warn('careful')\nwhere({ a: 1 })",
    "where({ a: typeof console, b: console.log('x') === undefined })",
    # Date.now() arithmetic stays a number, as in JavaScript
    "where({ a: typeof (Date.now() - 86400000), b: Date.now() - 86400000 > 1.7e12 })",
    # an object's own valueOf and toString convert it (they were passed over: NaN, '[object Object]')
    "where({ a: Number({ valueOf: () => 3 }), b: '' + { toString: () => 'x' }, c: { valueOf: () => 3 } > 2 })",
    "const o = { toString: () => 'y', valueOf: () => 1 }\n"
    "where({ a: String(o), b: o + 1, c: `${o}`, d: [o, 2].join('-'), e: o == 1, f: Math.max(o, 0.5) })",
    "where({ a: { valueOf: () => ({}), toString: () => 'q' } + 1, b: { valueOf: 5 } + '',\n"
    "  c: { valueOf: () => '2' } * 3, d: new Date({ valueOf: () => 0 }), e: 'ab'.repeat({ valueOf: () => 2 }) })",
    # an object's own toJSON gives what JSON.stringify writes, called with the key (it was
    # passed over: '{}'); a Date it returns is written as an object, its toJSON not called
    "where({ a: JSON.stringify({ toJSON: () => 5 }), b: JSON.stringify({ x: { toJSON: k => k + '!' }, y: [{ toJSON: k => k }] }),\n"
    "  c: JSON.stringify({ p: { toJSON: () => undefined }, q: { toJSON: 5 } }), d: JSON.stringify({ toJSON: () => new Date(0) }),\n"
    "  e: JSON.stringify({ toJSON() { return { n: { toJSON: () => 1 } } } }) })",
    "const a = [1, { toJSON: () => { a.push(3)\n  return 2 } }]\n"
    "const t = { b: { toJSON: () => { Object.assign(t, { a: 9, c: 3 })\n  return 2 } }, a: 1 }\n"
    "where({ a: JSON.stringify(a), n: a.length, t: JSON.stringify(t) })",
    # methods: arrow functions under their key, String() shows the whole definition
    "const o = { valueOf() { return 3 }, 'n'(a, b) { return a + b }, 1() { return 1 }, default() { return 'd' } }\n"
    "where({ a: o > 2, b: o.n(1, 2), c: String(o.n), d: o[1](), e: o.default(), f: '' + { toString() { return 'x' } } })",
    "where({ a: { f(x, y,) { x = x * 2\n  return x + y } }.f(1, 2), b: { f() {} }.f() === undefined })",
    "where({ a: '' + { toString: 5 } })",
    "where({ a: '' + { valueOf: () => [], toString: () => ({}) } })",
    # property assignment: a filter built step by step, as Noodl users write it (it was
    # "only a declared variable can be assigned")
    "const q = {};\nif (Inputs.Min) q.score = { greaterThan: Inputs.Min };\n"
    "if (Inputs.Tag) q['tags'] = { containedIn: [Inputs.Tag] };\nif (Inputs.Tags) q.t = { containedIn: Inputs.Tags }\nwhere(q)",
    "const o = { b: 1 }\no[2] = 'x'\no[1] = 'y'\no.b += 5\no['c'] = o.b * 2\no[0] = 0\no[2] = 'z'\nwhere(o)",
    "const o = {}\no[1.5] = 'a'\no[true] = 'b'\no[null] = 'c'\no[[1, 2]] = 'd'\no[-0] = 'e'\nwhere(o)",
    "const a = [1, 2]\na[2] = 3\na[0] += 10\na['1'] = 'two'\na.length = 3\nconst b = [4, 5, 6]\nb.length = 1\nwhere({ a, b })",
    "const o = { n: 1, s: 'a' }\nconst f = () => { o.n = 10\n  return 1 }\no.n += f()\no.s += o.n\no.m = o.m ?? 7\nwhere(o)",
    "const o = {}\no.toString = () => 'z'\no.valueOf = () => 4\nwhere({ a: '' + o, b: o * 2, c: String(o), d: `${o}` })",
    "const out = [];\n[1, 2, 3].forEach((x, i) => { out[i] = x * 2 });\nconst m = {};\n['a', 'b'].forEach(k => { m[k] = k.length })\nwhere({ out, m })",
    "const o = { a: { b: [1] } }\no.a.b[1] = 2\no.a['c'] = { d: 1 }\no.a.c.d -= 5\nwhere(o)",
    "const p = { ...Inputs.Owner }\np.name = 'Bob'\nwhere({ p, same: Inputs.Owner.name })",
    "let u\nu.k = 1\nwhere({})",
    "const o = { a: null }\no.a.b = 1\nwhere(o)",
    "const o = {}\no.x.y += 1\nwhere(o)",
    # `filter` is a parameter of the script in Noodl, so `var` may name it again (it was "'filter'
    # is built in and cannot be declared"); in an arrow function it is a local
    "var filter = { score: { greaterThan: Inputs.Min } }\nwhere(filter)",
    "const f = () => { var filter = 2\n  var sort\n  return [filter, sort] }\nwhere({ a: f(), b: typeof filter })",
    # the array methods that change the array in place, each with its edge arguments
    "const a = [1, 2, 3]\nwhere({ p: [a.pop(), a.pop(), a.pop(), a.pop()], a, s: [[].shift(), [0, 1].shift()],\n"
    "  u: [[].unshift(), [3].unshift(1, 2)], b: (() => { const b = [3]\n  b.unshift(1, [2])\n  return b })() })",
    "const sp = (args) => { const a = [0, 1, 2, 3, 4]\n  const r = a.splice(...args)\n  return [r, a] }\n"
    "where({ a: [[], [2], [-2], [1, 2], [1, 2, 'x', 'y', 'z'], [-10, 1], [10, 1, 'x'], [1, -1], [1, NaN, 'x'],\n"
    "  [NaN], [undefined], [undefined, undefined], [1, undefined], [1, Infinity], [-Infinity, 2], ['2', '1'],\n"
    "  [1.7, 1.9], [4, 0, 'end'], [5, 0, 'after']].map(sp) })",
    "const ts = (args) => [0, 1, 2, 3, 4].toSpliced(...args)\n"
    "where({ a: [[], [2], [-2], [1, 2, 'x'], [1, -1], [NaN], [undefined], [1, Infinity, 'y']].map(ts) })",
    "const fl = (args) => [0, 1, 2, 3, 4].fill(...args)\n"
    "where({ a: [[], [9], [9, 1], [9, -2], [9, 1, 3], [9, 1, -1], [9, -10, 2], [9, 3, 1], [9, NaN, NaN],\n"
    "  [9, undefined, 2], [9, 1, undefined], [9, '1', '3'], [9, -Infinity, Infinity], [[1], 3]].map(fl),\n"
    "  same: (() => { const a = [1]\n  return a.fill(0) === a })(), shared: (() => { const f = [0, 0].fill([])\n  return f[0] === f[1] })() })",
    "const cw = (args) => [0, 1, 2, 3, 4].copyWithin(...args)\n"
    "where({ a: [[], [0, 3], [1, 0], [0, 1], [-2], [-2, 0], [1, 0, 2], [0, -3, -1], [2, 0, 10], [NaN, 2],\n"
    "  [10, 0], [0, 10], [1, 2, 1], ['1', '3', '4'], [-Infinity, -2], [0, Infinity]].map(cw) })",
    # the searches from the end: the callback's arguments, and an array it shortens
    "const seen = []\nwhere({ a: [5, 12, 8, 130, 44].findLast(n => n > 10), b: [5, 12, 8].findLast(n => n > 100),\n"
    "  c: [5, 12, 8, 130].findLastIndex(n => n < 10), d: [].findLastIndex(n => true),\n"
    "  e: [1, 2, 3].findLast((v, i, arr) => { seen.push([v, i, arr.length])\n  return false }), seen,\n"
    "  f: (() => { const a = [1, 2, 3, 4]\n  return a.findLast((v, i) => { a.pop()\n  return v === undefined }) })(),\n"
    "  g: [0, '', null].findLastIndex(Boolean), h: [undefined].findLast(() => true) === undefined })",
    "const a = [0, 1, 2]\nwhere({ a: [[0, 'x'], [2, 'x'], [-1, 'x'], [-3, 'x'], [NaN, 'x'], ['1', 'x'], [1.9, 'x'], [-0.5, 'x'], [1]]\n"
    "  .map(x => a.with(...x)), same: a.with(0, 0) === a, b: a })",
    "where({ a: [0, 1].with(2, 'x') })",
    "where({ a: [0, 1].with(-3, 'x') })",
    "where({ a: [].with(0, 'x') })",
    "where({ a: [0].with(Infinity, 'x') })",
    # Array.from reads an object's length once and each element as its map reaches it
    "const o = { length: 3, 0: 'a', 1: 'b', 2: 'c' }\n"
    "where({ a: Array.from(o, (x, i) => { o.length = 1\n  o[2] = 'z'\n  o[1] = undefined\n  return x }), o })",
    # the length is read before the arguments: a valueOf() that pushes or shortens changes no range
    "const a = [1, 2, 3]\nconst r = a.splice({ valueOf: () => { a.push(4)\n  return 0 } }, 1)\nwhere({ r, a })",
    "const a = [1, 2, 3, 4]\nconst r = a.splice(1, { valueOf: () => { a.length = 2\n  return 2 } }, 'x')\nwhere({ r, a })",
    "const a = [1, 2, 3]\nwhere({ t: a.toSpliced({ valueOf: () => { a.push(4)\n  return 1 } }, 1),\n"
    "  u: a.toSpliced({ valueOf: () => { a.length = 1\n  return 0 } }, 0, 'x'), a })",
    "const a = [1, 2, 3]\nwhere({ w: a.with({ valueOf: () => { a.pop()\n  return 2 } }, 9), a })",
    "const a = [1, 2, 3]\nwhere({ w: a.with({ valueOf: () => { a.push(7)\n  return 3 } }, 9) })",
    "const a = [1, 2, 3], b = [1, 2, 3, 4]\nwhere({ a: a.fill(0, { valueOf: () => { a.push(9)\n  return 0 } }),\n"
    "  b: b.fill(0, 1, { valueOf: () => { b.length = 3\n  return 4 } }) })",
    "const a = [1, 2, 3, 4, 5], b = [1, 2, 3, 4, 5], c = [1, 2, 3]\n"
    "where({ a: a.copyWithin(0, { valueOf: () => { a.length = 2\n  return 3 } }),\n"
    "  b: b.copyWithin(1, { valueOf: () => { b.length = 3\n  return 0 } }),\n"
    "  c: c.copyWithin(0, { valueOf: () => { c.push(8, 9)\n  return 1 } }) })",
    # a callback that removes elements: find and findIndex visit the indexes there were with
    # undefined, map keeps its length (a hole, written null), the others skip what is gone and
    # visit again an index the array grew back to; each element is the one read before its call
    "const seen = []\nconst a = [1, 2, 3, 4], b = [1, 2, 3, 4], c = [1, 2, 3, 4], d = [1, 2, 3, 4]\n"
    "where({ fi: a.findIndex(v => { a.pop()\n  return v === undefined }),\n"
    "  f: b.find(v => { b.pop()\n  seen.push(v === undefined ? 'u' : v)\n  return false }), seen,\n"
    "  m: c.map(v => { c.pop()\n  return v }), mm: [1, 2, 3].map((v, i, x) => { x.length = 1\n  return v }),\n"
    "  fe: (() => { const o = []\n  d.forEach(v => { d.shift()\n  o.push(v) })\n  return o })(),\n"
    "  back: (() => { const o = [], x = [1, 2, 3]\n  x.forEach((v, i) => { o.push(v)\n  if (i === 0) { x.length = 1\n  x.push(7, 8) } })\n  return o })(),\n"
    "  r: (() => { const x = [1, 2, 3, 4]\n  return x.reduce((acc, v, i) => { if (i === 1) { x.length = 2\n  x.push(5, 6) }\n  return acc + v }, 0) })(),\n"
    "  read: [[1, 2].find((v, i, x) => { x[0] = 9\n  return true }), [1, 2].filter((v, i, x) => { x[i] = 0\n  return true })],\n"
    "  lens: [[1, 2, 3].some((v, i, x) => { x.pop()\n  return v === undefined }), [1, 2, 3].every((v, i, x) => { x.pop()\n  return v !== undefined })] })",
    "where({ a: [1, 2].findLast(5) })",
    "where({ a: [].findLastIndex() })",
    "const calls = []\nwhere({ a: ['a', 'b', 'c'].reduceRight((acc, s) => acc + s), b: [1, 2, 3].reduceRight((acc, n, i) => acc + n * i, 100),\n"
    "  c: [[1, 2], [3]].reduceRight((acc, x) => acc.concat(x), []), d: [7].reduceRight(x => 0), e: [].reduceRight(x => 0, 'init'),\n"
    "  f: [1, 2, 3].reduceRight((acc, v, i, arr) => { calls.push([acc, v, i, arr.length])\n  return acc + v }), calls,\n"
    "  g: (() => { const a = [1, 2, 3, 4]\n  return a.reduceRight((acc, v) => { a.length > 2 && a.splice(0, 2)\n  return acc + v }, '') })() })",
    "where({ a: [].reduceRight((x, y) => x) })",
    "where({ a: [1].reduceRight('x') })",
    # substr and codePointAt count UTF-16 units; fromCharCode and fromCodePoint make them
    "const s = 'a😀bcdé'\nwhere({ a: [[], [2], [-3], [-3, 2], [1, 2], [1, 1], [0, -1], [NaN, 2], [undefined, 2], [2, undefined],\n"
    "  [-100, 3], [100], [1, Infinity], [-Infinity, 1], ['1', '2'], [1.9, 2.9], [0, NaN]].map(x => s.substr(...x)),\n"
    "  b: [0, 1, 2, 3, -1, 7, 8, NaN, '1', 1.5, undefined, Infinity].map(i => s.codePointAt(i) ?? 'none'),\n"
    "  c: ['\\ud83d'.codePointAt(0), '\\ude00x'.codePointAt(0), '\\ud83d\\ud83d'.codePointAt(0), ''.codePointAt()] })",
    "where({ a: String.fromCharCode(72, 105, 0x1F600, 65536 + 66, -1, 0xD83D, 0xDE00, NaN, '67', 3.9),\n"
    "  b: String.fromCharCode(), c: String.fromCodePoint(0x1F600, 65, 0, 0x10FFFF, 0xD83D, 0xDE00, '66'),\n"
    "  d: String.fromCodePoint(), e: String.fromCodePoint(0xD83D) + String.fromCodePoint(0xDE00),\n"
    "  f: String.fromCharCode(0xD83D).length, g: [...'ab'].map(c => c.charCodeAt(0)).map(n => String.fromCharCode(n)) })",
    "const s = ' \\u00a0\\ufeff\\t\\na b\\u2028\\u3000\\u200b '\nwhere({ a: [s.trimStart(), s.trimEnd(), s.trimLeft(), s.trimRight(), s.trim()] })",
    "where({ a: String.fromCodePoint(-1) })",
    "where({ a: String.fromCodePoint(0x110000) })",
    "where({ a: String.fromCodePoint(1.5) })",
    "where({ a: String.fromCodePoint(NaN) })",
    "where({ a: String.fromCodePoint(Infinity) })",
    # Array.from and Array.of
    "where({ a: Array.from({ length: 3 }, (_, i) => i * 2), b: Array.from('a😀b\\ud83d'), c: Array.from([1, undefined, 3]),\n"
    "  d: Array.from({ length: 2, 0: 'x', 1: 'y', 2: 'z' }), e: Array.from({ length: '2' }), f: Array.from({ length: -1 }),\n"
    "  g: Array.from({ length: 2.7 }), h: Array.from({}), i: Array.from(5), j: Array.from(true), k: Array.from(new Date(0)),\n"
    "  l: Array.from([1, 2], (x, i, more) => [x, i, more]), m: Array.from({ length: NaN }), n: Array.from('', x => x),\n"
    "  o: (() => { const a = [1]\n  const b = Array.from(a)\n  b.push(2)\n  return [a, b, a === b] })(),\n"
    "  p: Array.of(), q: Array.of(7), r: Array.of(1, 'a', [2]), s: Array.from(Inputs.Tags, t => t.toUpperCase()), t: Inputs.Tags })",
    "where({ a: Array.from(null) })",
    "where({ a: Array.from(undefined) })",
    "where({ a: Array.from() })",
    "where({ a: Array.from([1], 5) })",
    "where({ a: Array.from([1], null) })",
    # Math's logarithms, exponentials, roots, trigonometry and constants; String(1 / x) tells -0
    "const f = [0, -0, 1, -1, 2, 10, 1000, 0.5, 1e-300, 1e300, NaN, Infinity, -Infinity, '100', null, undefined, 8, -8, 27, 0.1]\n"
    "where({ log: f.map(x => Math.log(x)), log10: f.map(x => Math.log10(x)), log2: f.map(x => Math.log2(x)), log1p: f.map(x => Math.log1p(x)),\n"
    "  exp: f.map(x => Math.exp(x)), expm1: f.map(x => Math.expm1(x)), cbrt: f.map(x => Math.cbrt(x)),\n"
    "  zeros: [String(1 / Math.cbrt(-0)), String(1 / Math.log1p(-0)), String(1 / Math.expm1(-0)), String(1 / Math.sin(-0)),\n"
    "    String(1 / Math.tan(-0)), String(1 / Math.asin(-0)), String(1 / Math.atan(-0)), String(1 / Math.atan2(-0, 1)),\n"
    "    String(1 / Math.hypot(-0)), String(1 / Math.hypot(-0, -0)), String(1 / Math.log10(1))],\n"
    "  hypot: [Math.hypot(), Math.hypot(3, 4), Math.hypot(3, 4, 12), Math.hypot(-3), Math.hypot(NaN, Infinity), Math.hypot(NaN, 1),\n"
    "    Math.hypot(-Infinity, NaN), Math.hypot('3', [4]), Math.hypot(1e200, 1e200), Math.hypot(undefined)],\n"
    "  trig: [Math.sin(0), Math.cos(0), Math.sin(Math.PI / 2), Math.cos(Math.PI), Math.tan(0), Math.asin(1), Math.acos(1), Math.acos(2),\n"
    "    Math.asin(-2), Math.atan(1), Math.atan(Infinity), Math.atan2(1, 1), Math.atan2(0, -0), Math.atan2(-0, -0), Math.atan2(NaN, 1),\n"
    "    Math.atan2(Infinity, -Infinity), Math.sin(Infinity), Math.cos(NaN), Math.tan(-Infinity)],\n"
    "  consts: [Math.LN2, Math.LN10, Math.LOG2E, Math.LOG10E, Math.SQRT2, Math.SQRT1_2, Math.PI, Math.E],\n"
    "  exact: [1, 10, 100, 1e15, 1e22].map(x => Math.log10(x)).concat([1, 2, 1024, 4503599627370496].map(x => Math.log2(x)), [8, 27, 1e9].map(x => Math.cbrt(x))) })",
]


def _node_program(scripts: list[str], inputs: dict[str, Any]) -> str:
    """One Node program that runs every script in its own function and prints the results."""
    bodies = []
    for script in scripts:
        bodies.append(
            "(() => { let __w; const where = x => { __w = x }; const filter = where;\n"
            "const sort = () => {}; const console = { log() {}, info() {}, warn() {},"
            " error() {}, debug() {} };\n"
            f"const Inputs = {json.dumps(inputs)};\n"
            f"try {{ (() => {{\n{script}\n}})() }} catch (e) {{ return {{ __error__: e.name }} }}\n"
            "return __w === undefined ? '__undefined__' : __w })()"
        )
    return "process.stdout.write(JSON.stringify([\n" + ",\n".join(bodies) + "\n]))"


def _node() -> str:
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.fail("Node.js is needed to check scripts against JavaScript: apt-get install nodejs")
    return node


@pytest.fixture(scope="module")
def node_answers() -> list[Any]:
    proc = subprocess.run(
        [_node(), "-e", _node_program(SCRIPTS, INPUTS)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "TZ": "UTC"},
    )
    assert proc.returncode == 0, proc.stderr
    answers: list[Any] = json.loads(proc.stdout)
    assert len(answers) == len(SCRIPTS)
    return answers


def _as_json(v: object) -> Any:
    """The interpreter's value as JSON.stringify would write it, read back by json.loads."""
    if v is UNDEFINED:
        return "__undefined__"
    if isinstance(v, JSDate):
        return v.iso() if v.valid else None
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if isinstance(v, JSRegex):
        return {}
    if isinstance(v, dict):
        return {k: _as_json(x) for k, x in v.items() if x is not UNDEFINED}
    if isinstance(v, list):
        return [None if x is UNDEFINED else _as_json(x) for x in v]
    return v


@pytest.mark.parametrize("index", range(len(SCRIPTS)), ids=lambda i: SCRIPTS[i][:50])
def test_same_answer_as_node(node_answers: list[Any], index: int) -> None:
    script = SCRIPTS[index]
    theirs = node_answers[index]
    if isinstance(theirs, dict) and "__error__" in theirs:
        with pytest.raises(QueryError):  # Node threw: so must the interpreter
            run_script(script, INPUTS)
        return
    ours = _as_json(run_script(script, INPUTS).where)
    # JSON keeps key order; compare it too (JavaScript orders integer keys first).
    assert json.dumps(ours) == json.dumps(theirs) or ours == theirs, script
    if isinstance(theirs, dict):
        assert list(ours) == list(theirs), script


def test_key_order_matches_node(node_answers: list[Any]) -> None:
    i = next(i for i, s in enumerate(SCRIPTS) if "'two'" in s)
    assert list(_as_json(run_script(SCRIPTS[i], INPUTS).where)["a"]) == ["1", "2", "b", "a"]
    assert list(node_answers[i]["a"]) == ["1", "2", "b", "a"]


# ------------------------------------------------------------------------------------------
# The sandbox holds through callbacks


def test_recursion_through_callbacks_is_bounded() -> None:
    with pytest.raises(LimitExceeded) as info:
        run_script("const f = n => f(n + 1)\nwhere({ a: f(0) })")
    assert "too much recursion" in info.value.message
    assert str(MAX_CALL_DEPTH) in info.value.message
    assert (info.value.line, info.value.column) == (1, 11)


def test_recursion_inside_map_is_bounded() -> None:
    with pytest.raises(LimitExceeded, match="too much recursion"):
        run_script("const f = a => a.map(x => f([x]))\nwhere({ a: f([1]) })")


def test_exponential_work_hits_the_step_budget() -> None:
    script = "const fib = n => n < 2 ? n : fib(n - 1) + fib(n - 2)\nwhere({ a: fib(40) })"
    with pytest.raises(LimitExceeded) as info:
        run_script(script)
    assert "step limit" in info.value.message
    assert info.value.line is not None


def test_exponential_reduce_hits_a_limit() -> None:
    script = (
        "const xs = [...'abcdefghijklmnopqrstuvwxyz']\n"
        "where({ a: xs.reduce(acc => [...acc, ...acc], [1]).length })"
    )
    with pytest.raises(LimitExceeded):
        run_script(script)


def test_reduce_with_callbacks_counts_steps() -> None:
    script = "where({ a: [1, 2, 3, 4, 5, 6, 7, 8].map(n => n * 2).reduce((a, n) => a + n) })"
    assert run_script(script).where["a"] == 72
    with pytest.raises(LimitExceeded, match="step limit"):
        run_script(script, max_steps=20)


def test_flat_and_flat_map_stay_within_the_limits() -> None:
    # A cyclic array, or one nested deeper than Node's stack holds, is a RangeError there.
    with pytest.raises(LimitExceeded, match="nests too deeply to flatten") as info:
        run_script("const c = []\nc.push(c)\nwhere({ a: c.flat(Infinity) })")
    assert (info.value.line, info.value.column) == (3, 14)
    deep = "const d = 'x'.repeat({}).split('').reduce(acc => [acc], 1)\n"
    assert run_script(deep.format(4000) + "where({ a: d.flat(Infinity) })").where["a"] == [1]
    with pytest.raises(LimitExceeded, match="nests too deeply to flatten"):
        run_script(deep.format(6000) + "where({ a: d.flat(Infinity) })")
    # Twenty-five lines of `a = [a, a]` stand for 2**25 empty arrays: nothing to return, but
    # each one walked.
    shared = "let a = []\n" + "a = [a, a]\n" * 25
    with pytest.raises(LimitExceeded, match="array too large to flatten") as info:
        run_script(shared + "where({ a: a.flat(Infinity).length })")
    assert info.value.line == 27
    assert run_script(shared + "where({ a: a.flat(3).length })").where["a"] == 16
    wide = "let a = [1]\n" + "a = [...a, ...a]\n" * 19  # 524,288 elements
    for text in ("[a, a, a].flat()", "a.flatMap(x => a)"):
        with pytest.raises(LimitExceeded, match="array too long") as info:
            run_script(wide + f"where({{ a: {text}.length }})")
        assert info.value.line == 21, text
    assert run_script(wide + "where({ a: [a].flat().length })").where["a"] == 2**19


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("where({ a: encodeURIComponent('x\\ud800') })",
         "URI malformed: the string holds a lone surrogate (\\ud800 at index 1), which UTF-8 cannot encode (encodeURIComponent)"),
        ("where({ a: decodeURIComponent('ab%E0%A4') })",
         "URI malformed: %E0%A4 at index 2 is not UTF-8 (decodeURIComponent)"),
        ("where({ a: decodeURI('\\u{1F600}%C3%A9%ED%A0%80') })",
         "URI malformed: %ED%A0%80 at index 8 is not UTF-8 (decodeURI)"),
        ("where({ a: decodeURIComponent('50%') })",
         "URI malformed: '%' at index 2: a % must be followed by two hex digits (decodeURIComponent)"),
    ],
)
def test_malformed_uris_are_clear_errors(script: str, message: str) -> None:
    with pytest.raises(ScriptError) as info:
        run_script("const x = 1\n" + script)
    assert info.value.message == message
    assert (info.value.line, info.value.column) == (2, 12)


def test_uri_functions_stay_within_the_string_limit() -> None:
    # Every 'é' is six characters escaped: the size is refused before the text is built.
    with pytest.raises(LimitExceeded, match="string too long") as info:
        run_script("const s = 'é'.repeat(2e6)\nwhere({ a: encodeURIComponent(s) })")
    assert info.value.line == 2
    assert run_script("where({ a: encodeURI(' '.repeat(3e6)).length })").where["a"] == 9_000_000


def test_callback_errors_point_into_the_callback() -> None:
    with pytest.raises(ScriptError) as info:
        run_script("where({ a: [{}].map(o => o.foo.bar) })")
    assert "Cannot read properties of undefined (reading 'bar')" in info.value.message
    assert (info.value.line, info.value.column) == (1, 32)


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("where({ a: [1].map(5) })", "map() needs a function, not number"),
        ("where({ a: [].flatMap({}) })", "flatMap() needs a function, not object"),
        ("where({ a: [2, 1].toSorted('desc') })", "toSorted() needs a function, not string"),
        ("where({ a: [].reduce((a, b) => a) })", "Reduce of empty array with no initial value"),
        ("where({ a: Object.keys(null) })", "cannot convert null to an object"),
        ("where({ a: [...5] })", "number is not iterable"),
        ("where({ a: Object.assign(null, {}) })", "needs an object to assign to"),
        ("const f = (where) => 1", "'where' is built in and cannot be declared"),
        ("const f = x => x\nwhere({ a: f.length })", "Unknown property 'length'"),
    ],
)
def test_callback_misuse_is_a_clear_error(script: str, message: str) -> None:
    with pytest.raises(ScriptError) as info:
        run_script(script)
    assert message in info.value.message
    assert info.value.line is not None


def test_duplicate_parameters_are_a_syntax_error() -> None:
    with pytest.raises(QuerySyntaxError) as info:
        run_script("const f = (a, a) => a")
    assert (info.value.line, info.value.column) == (1, 15)


def test_arrow_block_bodies_need_separators() -> None:
    with pytest.raises(QuerySyntaxError) as info:
        run_script("const f = () => { const a = 1 const b = 2 }")
    assert "put ';' or a line break" in info.value.message
    assert (info.value.line, info.value.column) == (1, 31)


@pytest.mark.parametrize(
    ("script", "line", "column"),
    [
        ("where([1].filter(x => { { let a = 1 let b = 2 } return true }))", 1, 37),
        ("where([1].filter(x => { if (x) { let a = 1 let b = 2 } return true }))", 1, 44),
        ("const o = { m() { { const a = 1 const b = 2 } return o } }", 1, 33),
    ],
)
def test_blocks_inside_arrow_bodies_need_separators(script: str, line: int, column: int) -> None:
    # node: "Unexpected identifier 'let'"; the check read only the arrow body's own statements
    with pytest.raises(QuerySyntaxError, match="put ';' or a line break") as info:
        run_script(script)
    assert (info.value.line, info.value.column) == (line, column)


@pytest.mark.parametrize(
    ("script", "line", "column", "message"),
    [
        ("{ a b }\n c d", 1, 5, "unexpected 'b'"),
        ("{ a b }\n{ c d }", 1, 5, "unexpected 'b'"),
        ("{ x y { a b } }", 1, 5, "unexpected 'y'"),
        ("a b\n{ c d }", 1, 3, "unexpected 'b'"),
        ("const f = () => { a\n`t` }\n b c", 2, 1, "tagged template"),
    ],
)
def test_of_two_missing_separators_the_first_is_reported(script: str, line: int, column: int, message: str) -> None:
    # JavaScript's parser stops at the first (node: "Unexpected identifier 'b'" for the first
    # four); the check reported the program's own statements first, then blocks innermost first
    with pytest.raises(QuerySyntaxError, match=message) as info:
        run_script(script)
    assert (info.value.line, info.value.column) == (line, column)


@pytest.mark.parametrize(
    ("script", "column", "shown"),
    [
        ("x = 'a' 'bcd'", 9, "string 'bcd'"),
        ("x = 1 \"b'c\"", 7, "string \"b'c\""),
        ("x = 1 2.5e+3", 7, "number 2.5e+3"),
        ("x = 1 .5", 7, "number .5"),
        ("x = 1 a5", 7, "'a5'"),
    ],
)
def test_a_missing_separator_shows_a_string_or_number_whole(script: str, column: int, shown: str) -> None:
    # it showed the statement's first character or digits ("unexpected '''", "unexpected '2'");
    # node says "Unexpected string" / "Unexpected number", other errors here show the token whole
    with pytest.raises(QuerySyntaxError) as info:
        run_script(script)
    assert info.value.message == f"unexpected {shown}: put ';' or a line break between two statements"
    assert (info.value.line, info.value.column) == (1, column)


@pytest.mark.parametrize(
    ("script", "line", "column"),
    [
        ("const f = x => x\nconst a = f\n`y`\nwhere({ a })", 3, 1),
        ("const a = 'x'\n`y`\nwhere({ a })", 2, 1),
        ("const a = 'x'`y`", 1, 14),
        ("let a = 1\nif (a) a = 2\n`y`", 3, 1),
    ],
)
def test_a_template_after_an_expression_is_a_tagged_template(script: str, line: int, column: int) -> None:
    # JavaScript inserts no semicolon before a template: it calls the expression before it
    # with the template's pieces (f`y` is f(['y'])), where the two statements ran.
    with pytest.raises(QuerySyntaxError, match="is a tagged template") as info:
        run_script(script)
    assert (info.value.line, info.value.column) == (line, column)
    # where nothing can be continued, a template starts the next statement, as in JavaScript
    assert run_script("let a\n`y`\nwhere({ a: a === undefined })").where == {"a": True}
    assert run_script("const f = () => { return\n`y` }\nwhere({ a: f() === undefined })").where == {"a": True}


def test_date_setters_do_not_change_inputs() -> None:
    from datetime import UTC, datetime

    since = datetime(2024, 1, 1, tzinfo=UTC)
    r = run_script("const d = Inputs.D\nd.setDate(5)\nwhere({ a: d })", {"D": since})
    assert r.where["a"].iso() == "2024-01-05T00:00:00.000Z"
    assert since == datetime(2024, 1, 1, tzinfo=UTC)


# ------------------------------------------------------------------------------------------
# A number of milliseconds where a Date is expected (README, Choices 9)


def test_milliseconds_on_a_date_field_are_a_date() -> None:
    import querylang
    from querylang.errors import QueryTypeError

    db = querylang.connect()
    db.load({
        "classes": {"Post": {"fields": {"title": {"type": "String"}}}},
        "records": {"Post": [
            {"objectId": "old", "title": "a", "createdAt": "2020-01-01T00:00:00.000Z"},
            {"objectId": "new", "title": "b", "createdAt": "2024-06-01T00:00:00.000Z"},
        ]},
    })
    since = "where({ createdAt: { greaterThan: new Date('2024-01-01').getTime() - 86400000 } })"
    assert db.query("Post", since).ids == ["new"]
    assert db.query("Post", "where({ createdAt: { lessThan: Inputs.T } })",
                    inputs={"T": 1600000000000}).ids == ["old"]
    assert db.query("Post", "where({ createdAt: { greaterThan: Date.now() - 86400000 } })").ids == []
    with pytest.raises(QueryTypeError, match="not a time in milliseconds") as info:
        db.query("Post", "where({ createdAt: { lessThan: 1e20 } })")
    assert (info.value.line, info.value.column) == (1, 22)


def test_conversions_call_an_objects_own_functions_within_the_limits() -> None:
    """valueOf and toString run as every arrow function runs: their steps and their depth
    count, and a conversion that calls itself is "too much recursion", not a Python crash."""
    with pytest.raises(LimitExceeded, match="too much recursion"):
        run_script("const o = { valueOf: () => +o }\nwhere({ a: +o })")
    script = "const o = { valueOf: () => [1, 2, 3, 4, 5, 6].map(n => n * 2).length }\nwhere({ a: o * 1 })"
    assert run_script(script).where["a"] == 6
    with pytest.raises(LimitExceeded, match="step limit"):
        run_script(script, max_steps=15)


@pytest.mark.parametrize(("script", "message", "column"), [
    ("where({ a: { f(1) { return 1 } } })", "unexpected number 1; expected ')' or a name", 16),
    ("where({ a: { f() 1 } })", "unexpected number 1; expected '{'", 18),
    ("where({ a: { f(a, a) { return a } } })", "duplicate parameter name 'a'", 19),
    ("where({ a: { f() { return this } } })", "'this' is not supported in filter scripts", 27),
])  # fmt: skip
def test_a_malformed_method_is_a_syntax_error(script: str, message: str, column: int) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        run_script(script)
    assert (info.value.message, info.value.line, info.value.column) == (message, 1, column)

