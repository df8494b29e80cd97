import { describe, it, expect } from 'vitest';
import { displayPatientKey, isCheckedResidentIdNumber, isResidentIdNumber, maskAddress, maskIdCard, maskName, maskPhone } from './masking.js';

describe('maskPhone', () => {
  it('masks the middle four digits of an 11-digit mobile number', () => {
    expect(maskPhone('13812341234')).toBe('138****1234');
    expect(maskPhone('19900001111')).toBe('199****1111');
  });

  it('strips +86 / 86 and separators from mobile numbers', () => {
    expect(maskPhone('+86 138 1234 1234')).toBe('138****1234');
    expect(maskPhone('+86-138-1234-1234')).toBe('138****1234');
    expect(maskPhone('+86 (138) 1234-1234')).toBe('138****1234');
    expect(maskPhone('8613812341234')).toBe('138****1234');
    expect(maskPhone(' 138 1234 1234 ')).toBe('138****1234');
  });

  it('keeps a 4-digit area code and the last four digits of a landline', () => {
    expect(maskPhone('0571-87654321')).toBe('0571****4321');
    expect(maskPhone('(0571) 8765 4321')).toBe('0571****4321');
    // 7-digit local number behind a 4-digit area code
    expect(maskPhone('0571-8765432')).toBe('0571***5432');
  });

  it('never shows more than the area code and last four digits of a landline', () => {
    for (const phone of ['010-12345678', '021-87654321', '0571-87654321', '0755-1234567']) {
      const masked = maskPhone(phone);
      const digits = phone.replace(/\D/g, '');
      expect(masked).toHaveLength(digits.length);
      expect(masked.endsWith(digits.slice(-4))).toBe(true);
      expect(masked.replace(/\*/g, '').length).toBeLessThanOrEqual(8);
      expect(masked).not.toContain(digits.slice(-8, -4));
    }
  });

  // Beijing (010) and the 02x cities have 3-digit area codes with 8-digit local numbers: 11 digits in all,
  // like a 4-digit area code with a 7-digit number, so the area code length comes from the prefix.
  it('keeps the 3-digit area code of Beijing and 02x cities', () => {
    expect(maskPhone('010-12345678')).toBe('010****5678');
    expect(maskPhone('021-87654321')).toBe('021****4321');
  });

  it('masks a local number without area code down to its last four digits', () => {
    expect(maskPhone('87654321')).toBe('****4321');
    expect(maskPhone('8765432')).toBe('***5432');
  });

  it('masks short or odd input completely', () => {
    expect(maskPhone('12345')).toBe('*****');
    expect(maskPhone('abc')).toBe('');
  });

  it('returns an empty string for empty, null and undefined', () => {
    expect(maskPhone('')).toBe('');
    expect(maskPhone(null)).toBe('');
    expect(maskPhone(undefined)).toBe('');
  });

  it('never returns the full number', () => {
    for (const phone of ['13812341234', '+86 138 1234 1234', '010-12345678', '0571-87654321', '87654321']) {
      expect(maskPhone(phone)).not.toBe(phone.replace(/\D/g, ''));
      expect(maskPhone(phone)).toContain('*');
    }
  });

  it('masks extensions completely, after a dash or 转/分机/ext', () => {
    expect(maskPhone('0571-87654321-808')).toBe('0571****4321-***');
    expect(maskPhone('0571-87654321转808')).toBe('0571****4321转***');
    expect(maskPhone('010-12345678 转 8001')).toBe('010****5678转****');
    expect(maskPhone('(021) 8765-4321 分机 66')).toBe('021****4321转**');
    expect(maskPhone('0755-26781234 ext. 203')).toBe('0755****1234转***');
    expect(maskPhone('87654321-808')).toBe('****4321-***');
  });

  it('handles +86 / 0086 in front of a landline whose area code lost its leading 0', () => {
    expect(maskPhone('+86 571 8765 4321')).toBe('0571****4321');
    expect(maskPhone('+86 10 1234 5678')).toBe('010****5678');
    expect(maskPhone('0086 13812341234')).toBe('138****1234');
    expect(maskPhone('+86 (0)21 8765 4321')).toBe('021****4321');
  });

  it('masks each of several numbers in one field and joins them with " / "', () => {
    expect(maskPhone('13812341234/13998765432')).toBe('138****1234 / 139****5432');
    expect(maskPhone('13812341234，0571-87654321')).toBe('138****1234 / 0571****4321');
    expect(maskPhone('13812341234; 15000001111')).toBe('138****1234 / 150****1111');
    expect(maskPhone('13812341234、13998765432')).toBe('138****1234 / 139****5432');
    expect(maskPhone('13812341234 13998765432')).toBe('138****1234 / 139****5432');
    expect(maskPhone('138 1234 1234 139 9876 5432')).toBe('138****1234 / 139****5432');
    expect(maskPhone('本人13812341234 家属0571-87654321转808')).toBe('138****1234 / 0571****4321转***');
  });

  it('masks all digits of garbage, also inside a list', () => {
    expect(maskPhone('1381234123')).toBe('**********');
    expect(maskPhone('无 / 不详')).toBe('');
    expect(maskPhone('13812341234 / 12345')).toBe('138****1234 / *****');
    expect(maskPhone('电话：1234567890123456')).toBe('****************');
  });

  it('accepts full-width digits', () => {
    expect(maskPhone('１３８１２３４１２３４')).toBe('138****1234');
  });
});

describe('maskAddress', () => {
  it('cuts at the building (号楼/单元/室) and marks the cut', () => {
    expect(maskAddress('北京市朝阳区望京街道花家地南里5号楼3单元402室')).toBe('北京市朝阳区望京街道花家地南里***');
  });

  it('cuts at the house number of a road (号, 幢)', () => {
    expect(maskAddress('上海市浦东新区张江镇碧波路690号3幢2单元501')).toBe('上海市浦东新区张江镇碧波路***');
    expect(maskAddress('广州市天河区珠江新城花城大道68号环球都会广场2栋1801室')).toBe('广州市天河区珠江新城花城大道***');
  });

  it('ignores spaces and cuts building names with letters (A 座)', () => {
    expect(maskAddress('杭州市西湖区文三路 478 号 华星时代广场 A 座 1203')).toBe('杭州市西湖区文三路***');
    expect(maskAddress('深圳市南山区粤海街道科技园 B座 15层')).toBe('深圳市南山区粤海街道科技园***');
  });

  it('leaves village- and community-level addresses unchanged, without ***', () => {
    expect(maskAddress('河北省保定市涿州市码头镇西河村')).toBe('河北省保定市涿州市码头镇西河村');
    expect(maskAddress('成都市武侯区玉林街道玉林社区')).toBe('成都市武侯区玉林街道玉林社区');
    expect(maskAddress('  江苏省南京市鼓楼区  ')).toBe('江苏省南京市鼓楼区');
  });

  it('drops unit and room parts written first', () => {
    expect(maskAddress('3单元402室北京市朝阳区望京街道花家地南里5号楼')).toBe('北京市朝阳区望京街道花家地南里***');
    expect(maskAddress('3单元402室 北京市朝阳区望京街道')).toBe('北京市朝阳区望京街道***');
  });

  it('cuts Chinese-numeral floors, dashed room numbers and bare room numbers', () => {
    expect(maskAddress('武汉市江汉区解放大道万达广场三楼')).toBe('武汉市江汉区解放大道万达广场***');
    expect(maskAddress('南京市玄武区锁金村街道锁金新村3-2-401')).toBe('南京市玄武区锁金村街道锁金新村***');
    expect(maskAddress('西安市雁塔区小寨路阳光小区1203')).toBe('西安市雁塔区小寨路阳光小区***');
    expect(maskAddress('浙江省杭州市余杭区五常街道文一西路969号（阿里巴巴西溪园区）')).toBe('浙江省杭州市余杭区五常街道文一西路***');
  });

  it('keeps numbered lanes, roads and phases that name the community', () => {
    expect(maskAddress('上海市静安区愚园路123弄4号201室')).toBe('上海市静安区愚园路123弄***');
    expect(maskAddress('天津市滨海新区第二大街8号路万科城2期')).toBe('天津市滨海新区第二大街8号路万科城2期');
  });

  it('returns an empty string for empty, blank, null and undefined', () => {
    expect(maskAddress('')).toBe('');
    expect(maskAddress('   ')).toBe('');
    expect(maskAddress(null)).toBe('');
    expect(maskAddress(undefined)).toBe('');
  });

  it('never keeps the room number', () => {
    for (const address of ['北京市海淀区中关村大街27号1101室', '重庆市渝中区解放碑街道邹容路68号大都会广场B座2306', '5栋2单元1702']) {
      expect(maskAddress(address)).not.toMatch(/1101|2306|1702/);
      expect(maskAddress(address).endsWith('***')).toBe(true);
    }
  });
});

describe('resident ID numbers', () => {
  it('isResidentIdNumber: 18 digits (X last) or 15, spaces and full-width digits allowed', () => {
    expect(isResidentIdNumber('110105199001011234')).toBe(true);
    expect(isResidentIdNumber('110105 19900101 123x')).toBe(true);
    expect(isResidentIdNumber('110105900101123')).toBe(true);
    expect(isResidentIdNumber('P0012345')).toBe(false);
    expect(isResidentIdNumber(null)).toBe(false);
  });

  it('isCheckedResidentIdNumber: the GB 11643 check character must match', () => {
    expect(isCheckedResidentIdNumber('110105199001011232')).toBe(true);
    expect(isCheckedResidentIdNumber('330106198503120028')).toBe(true);
    expect(isCheckedResidentIdNumber('110105199001011234')).toBe(false);
    expect(isCheckedResidentIdNumber('110105900101123')).toBe(false);
  });

  it('displayPatientKey masks a 病案号 that is a resident ID number, and only that', () => {
    expect(displayPatientKey('110105199001011232')).toBe('110***********1232');
    expect(displayPatientKey('ZY0012345')).toBe('ZY0012345');
  });
});

describe('maskIdCard', () => {
  it('keeps the first 3 and last 4 characters of an 18-digit ID, including a trailing X', () => {
    expect(maskIdCard('110105199001011234')).toBe('110***********1234');
    expect(maskIdCard('33010619850312002x')).toBe('330***********002X');
  });

  it('does the same for a 15-digit old ID', () => {
    expect(maskIdCard('110105900101123')).toBe('110********1123');
  });

  it('normalises spaces, dashes and full-width digits first', () => {
    expect(maskIdCard('110105 19900101 1234')).toBe('110***********1234');
    expect(maskIdCard(' 4403-0519-8807-2156-7X ')).toBe('440***********567X');
    expect(maskIdCard('１１０１０５１９９００１０１１２３４')).toBe('110***********1234');
  });

  it('masks all but the last 4 characters of anything else', () => {
    expect(maskIdCard('E12345678')).toBe('*****5678');
    expect(maskIdCard('11010519900101123')).toBe('*************1123');
    expect(maskIdCard('1234')).toBe('****');
    expect(maskIdCard('')).toBe('');
    expect(maskIdCard(null)).toBe('');
  });
});

describe('maskName', () => {
  it('keeps the surname of a Chinese name', () => {
    expect(maskName('王小明', 'surname')).toBe('王**');
    expect(maskName('李娜', 'surname')).toBe('李**');
  });

  it('keeps compound surnames', () => {
    expect(maskName('欧阳晓东', 'surname')).toBe('欧阳**');
    expect(maskName('司马南', 'surname')).toBe('司马**');
    expect(maskName('诸葛明亮', 'surname')).toBe('诸葛**');
    expect(maskName('尉迟恭', 'surname')).toBe('尉迟**');
    // two characters: single surname 欧 and given name 阳
    expect(maskName('欧阳', 'surname')).toBe('欧**');
  });

  it('shows the first letter of a Latin name', () => {
    expect(maskName('John Smith', 'surname')).toBe('J***');
    expect(maskName(' émile Durand ', 'surname')).toBe('é***');
  });

  it('shows the full name when allowed and returns "" for empty input', () => {
    expect(maskName(' 王小明 ', 'full')).toBe('王小明');
    expect(maskName('', 'surname')).toBe('');
    expect(maskName(null, 'surname')).toBe('');
    expect(maskName(undefined, 'full')).toBe('');
  });
});
