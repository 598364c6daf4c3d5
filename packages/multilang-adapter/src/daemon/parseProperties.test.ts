import { InvalidArgumentError } from '@shardline/core';
import { parseProperties, PropertiesMap } from './parseProperties';

const entries = (text: string): [string, string][] => [...parseProperties(text)];

describe('parseProperties', () => {
  it('reads the three separators, and values without one', () => {
    expect(entries('a=1\nb: 2\nc 3\nd\ne=\n')).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
      ['d', ''],
      ['e', ''],
    ]);
  });

  it('trims whitespace around the separator and before the value, keeps it after', () => {
    expect(entries('  key   =   value  \n\tother\t:\tx')).toEqual([
      ['key', 'value  '],
      ['other', 'x'],
    ]);
  });

  it('takes only the first separator: the rest belongs to the value', () => {
    expect(entries('a = = b\nc :=d\ne  f = g\nurl=http://localhost:4567')).toEqual([
      ['a', '= b'],
      ['c', '=d'],
      ['e', 'f = g'],
      ['url', 'http://localhost:4567'],
    ]);
  });

  it('skips comments and blank lines', () => {
    expect(entries('# comment\n! bang comment\n   # indented comment\n\n   \n\t\nk=v\n')).toEqual([['k', 'v']]);
  });

  it("joins lines ending in an odd number of backslashes, dropping the next line's indentation", () => {
    expect(entries('list = a,\\\n     b,\\\n\tc\nnext=1')).toEqual([
      ['list', 'a,b,c'],
      ['next', '1'],
    ]);
    // Two backslashes are an escaped backslash, not a continuation.
    expect(entries('path=C:\\\\dir\\\\\nnext=1')).toEqual([
      ['path', 'C:\\dir\\'],
      ['next', '1'],
    ]);
  });

  it('does not continue a comment, and continues into a line that looks like one', () => {
    expect(entries('# comment \\\nk=v')).toEqual([['k', 'v']]);
    expect(entries('k=a\\\n# not a comment')).toEqual([['k', 'a# not a comment']]);
  });

  it('handles \\r\\n, \\r and \\n line ends, and a trailing backslash at the end of the file', () => {
    expect(entries('a=1\r\nb=2\rc=3\nd=x\\')).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
      ['d', 'x'],
    ]);
  });

  it('processes \\t \\n \\r \\f \\uXXXX and drops the backslash before other characters', () => {
    expect(entries('k=a\\tb\\nc\\rd\\fe\\u00e9\\u20AC\\q\\=\\:\\ \\#')).toEqual([['k', 'a\tb\nc\rd\fe\u00e9\u20acq=: #']]);
    expect(parseProperties('k=\\u00e9t\\u00e9').get('k')).toBe('été');
  });

  it('allows separators and spaces in keys when escaped', () => {
    expect(entries('a\\=b=c\nkey\\ with\\ spaces = v\nx\\:y:z')).toEqual([
      ['a=b', 'c'],
      ['key with spaces', 'v'],
      ['x:y', 'z'],
    ]);
  });

  it('rejects a malformed \\uXXXX escape, naming the file and line', () => {
    const parse = () => parseProperties('a=1\n\nbad=\\u12G4\n', { source: 'app.properties' });
    expect(parse).toThrow(InvalidArgumentError);
    expect(parse).toThrow('app.properties:3: bad: malformed \\uXXXX escape (got \\u12G4)');
    expect(() => parseProperties('k=\\u12')).toThrow('line 1: k: malformed');
  });

  it('decodes UTF-8 bytes, skips a byte-order mark, and rejects invalid UTF-8 with its line', () => {
    const utf8 = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('name=café\n', 'utf8')]);
    expect([...parseProperties(utf8)]).toEqual([['name', 'café']]);
    const latin1 = Buffer.from('a=1\nb=caf\xe9\n', 'latin1');
    expect(() => parseProperties(latin1, { source: 'x.properties' })).toThrow(InvalidArgumentError);
    expect(() => parseProperties(latin1, { source: 'x.properties' })).toThrow('x.properties:2: the properties file is not valid UTF-8');
  });

  it('keeps file order, lets the last of a repeated key win, and records every line', () => {
    const p = parseProperties('# header\nb=1\na=2\n\nlong=x\\\n  y\nb=3\n', { source: 'f.properties' });
    expect(p).toBeInstanceOf(PropertiesMap);
    expect(p).toBeInstanceOf(Map);
    expect([...p.keys()]).toEqual(['b', 'a', 'long']);
    expect(p.get('b')).toBe('3');
    expect(p.lineOf('a')).toBe(3);
    expect(p.lineOf('long')).toBe(5);
    expect(p.lineOf('b')).toBe(7);
    expect(p.lineOf('missing')).toBeUndefined();
    expect(p.locate('a')).toBe('f.properties:3');
    expect(p.duplicates).toEqual([{ key: 'b', firstLine: 2, line: 7 }]);
    expect(parseProperties('k=v').locate('k')).toBe('line 1');
  });

  it('reads an empty file', () => {
    expect(parseProperties('').size).toBe(0);
    expect(parseProperties(new Uint8Array()).size).toBe(0);
  });
});
