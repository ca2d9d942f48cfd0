// Demo dossiers for `govflow seed`: the demo citizen has a draft and a submitted dossier at Phường Ba Đình, so
// "Hồ sơ của tôi", the document store and the officers' inbox are not empty on a first visit. Idempotent.
import { Dossier } from './models.ts';
import { createDraft, saveDraft, submitDossier } from './service.ts';
import { loadViewerByUsername } from '../auth/service.ts';

/** The demo citizen (README). */
const CITIZEN = 'congdan@example.vn';
/** The smallest PDF that passes the type check: a scanned paper stands in. */
const DEMO_PDF = Buffer.from('%PDF-1.4\n1 0 obj<< /Type /Catalog >>endobj\ntrailer<< /Root 1 0 R >>\n%%EOF\n');
const BIRTH = {
  hoTenNguoiYeuCau: 'Hoàng Văn Công Dân', soDinhDanh: '001085012345', quanHe: 'Cha', dienThoai: '0912000111', hoTen: 'Hoàng Minh Khang',
  ngaySinh: '2026-11-25', gioiTinh: 'nam', noiSinh: 'Bệnh viện Phụ sản Hà Nội', queQuan: 'Nam Định', danToc: 'Kinh', quocTich: 'Việt Nam',
  hoTenMe: 'Lê Thị Hoa', hoTenCha: 'Hoàng Văn Công Dân',
};

/** Creates the demo citizen's dossiers unless they have some already. */
export async function seedDemoDossiers(print: (line: string) => void = () => {}): Promise<void> {
  const found = await loadViewerByUsername(CITIZEN);
  if (!found) return;
  const viewer = found.viewer;
  if (await Dossier.count({ where: { ownerUserId: viewer.userId } })) return;
  const submitted = await createDraft(viewer, { procedure: '1.001193', orgCode: '00004', values: BIRTH });
  await saveDraft(viewer, submitted.id, { files: { 'giay-chung-sinh-hoac-giay-to-thay-the-giay-chung-sinh': { name: 'giay-chung-sinh.pdf', type: 'application/pdf', data: DEMO_PDF } } });
  const r = await submitDossier(viewer, submitted.id);
  await createDraft(viewer, { procedure: '1.004222', orgCode: '00004', values: {} });
  print(`demo dossiers: ${r.code} submitted, 1 draft`);
}
