"""tools/eval_cams.py end to end on a tiny VOC-like folder."""
import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'eval_cams.py')
SPLIT = 'ImageSets/Segmentation/train_dev.txt'


@pytest.fixture(scope='module')
def eval_cams():
    spec = importlib.util.spec_from_file_location('eval_cams', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_end_to_end(tmp_path, voc_root, eval_cams):
    data_root, cam_dir = voc_root
    out_json = str(tmp_path / 'out' / 'cam_miou.json')
    overlay_dir = str(tmp_path / 'overlays')
    # The CAM folder's provenance record is echoed in the report.
    record = {'stage': 'CAMWriter', 'weights_sha1': 'abc', 'created': 'now'}
    with open(osp.join(cam_dir, '.rpnet_stage.json'), 'w') as f:
        json.dump(record, f)
    report = eval_cams.main([
        '--cam-dir', cam_dir, '--data-root', data_root, '--split', SPLIT,
        '--thresholds', '0.05', '0.15', '0.5', '--out-json', out_json,
        '--overlay-dir', overlay_dir, '--num-overlays', '1'
    ])
    # Hand-computed in test_evaluation/test_cam_metric.py: best t = 0.15,
    # mIoU 70%.
    assert report['best_threshold'] == 0.15
    assert report['mIoU'] == pytest.approx(70.0)
    assert report['num_images'] == 2
    assert report['cam_producer'] == record
    assert report['sweep']['0.50'] == pytest.approx(
        (7 / 11 + 3 / 4 + 4 / 7) / 3 * 100, abs=1e-3)
    assert report['per_class_iou'] == pytest.approx({
        'background': 75.0,
        'cat': 60.0,
        'dog': 75.0
    })
    with open(out_json) as f:
        assert json.load(f) == report
    assert os.listdir(osp.dirname(out_json)) == ['cam_miou.json']
    assert sorted(os.listdir(overlay_dir)) == [
        '.rpnet_written.rank0.txt', 'a.png']  # listed, then written
    with Image.open(osp.join(overlay_dir, 'a.png')) as img:
        assert img.format == 'PNG' and img.mode == 'RGB'


def test_classes_option_and_null_for_absent_class(voc_root, eval_cams):
    data_root, cam_dir = voc_root
    report = eval_cams.main([
        '--cam-dir', cam_dir, '--data-root', data_root, '--split', SPLIT,
        '--classes', 'bg', 'cat', 'dog', 'cow', '--thresholds', '0.15'
    ])
    assert report['per_class_iou']['cow'] is None
    assert report['mIoU'] == pytest.approx(70.0)


def test_missing_cam_file_named(voc_root, eval_cams):
    data_root, cam_dir = voc_root
    os.remove(osp.join(cam_dir, 'b.npz'))
    with pytest.raises(
            FileNotFoundError, match=r'CAM file not found: .*b\.npz'):
        eval_cams.main(
            ['--cam-dir', cam_dir, '--data-root', data_root, '--split', SPLIT])


def test_wrong_shape_cam_file_named(voc_root, eval_cams):
    data_root, cam_dir = voc_root
    path = osp.join(cam_dir, 'b.npz')
    with np.load(path, allow_pickle=False) as f:
        cam_dict = dict(f)
    cam_dict['high_res'] = np.zeros((1, 3, 2), np.float32)
    np.savez(path, **cam_dict)
    with pytest.raises(ValueError, match=r'b\.npz.*\(3, 2\).*\(2, 2\)'):
        eval_cams.main(
            ['--cam-dir', cam_dir, '--data-root', data_root, '--split', SPLIT])
    cam_dict['high_res'] = np.zeros((2, 2, 2), np.float32)
    np.savez(path, **cam_dict)
    with pytest.raises(ValueError, match=r'b\.npz.*K = len\(keys\) = 1'):
        eval_cams.main(
            ['--cam-dir', cam_dir, '--data-root', data_root, '--split', SPLIT])


def test_split_without_masks_lists_names(voc_root):
    """Run as a script: exits non-zero and lists the images lacking masks."""
    data_root, cam_dir = voc_root
    proc = subprocess.run([
        sys.executable, TOOL, '--cam-dir', cam_dir, '--data-root', data_root,
        '--split', 'ImageSets/Segmentation/train.txt'
    ],
                          capture_output=True,
                          text=True,
                          timeout=120)
    assert proc.returncode == 1
    assert '2 image(s) have no ground-truth mask: c, d.' in proc.stderr
    assert 'train_dev' in proc.stderr


def test_classes_voc_shortcut_gives_pascal_voc_names(eval_cams):
    """`--classes voc` (the README's VOC example) needs no labels.json."""
    args = eval_cams.parse_args([
        '--cam-dir', 'x', '--data-root', '/nonexistent', '--split', SPLIT,
        '--classes', 'voc'
    ])
    classes, palette = eval_cams.load_class_info(args)
    assert len(classes) == 21 and len(palette) == 21
    assert classes[0] == 'background' and classes[-1] == 'tvmonitor'
    assert palette[1] == [128, 0, 0]


def test_crf_option_pulls_labels_onto_the_image(tmp_path, eval_cams,
                                                 png_writer):
    # A bright square; the CAM's blob is the square shifted by 3 pixels.
    root = tmp_path / 'voc'
    for sub in ('JPEGImages', 'SegmentationClass', 'ImageSets/Segmentation'):
        (root / sub).mkdir(parents=True)
    image = np.full((40, 40, 3), 20, np.uint8)
    image[10:30, 10:30] = 230
    Image.fromarray(image).save(root / 'JPEGImages' / 'sq.png')
    mask = np.zeros((40, 40), np.uint8)
    mask[10:30, 10:30] = 2
    png_writer(str(root / 'SegmentationClass' / 'sq.png'), mask)
    (root / 'ImageSets/Segmentation/train_dev.txt').write_text('sq\n')
    high_res = np.zeros((1, 40, 40), np.float32)
    high_res[0, 13:33, 13:33] = 1.0
    cam_dir = tmp_path / 'cams'
    cam_dir.mkdir()
    np.savez(cam_dir / 'sq.npz', keys=np.array([1]), high_res=high_res,
             cam=high_res[:, ::4, ::4].copy())
    args = [
        '--cam-dir', str(cam_dir), '--data-root', str(root), '--split',
        SPLIT, '--classes', 'background', 'cat', 'dog', '--thresholds',
        '0.5', '--img-suffix', '.png'
    ]
    plain = eval_cams.main(args)
    crf = eval_cams.main(args + ['--crf'])
    assert plain['crf'] is None
    assert crf['crf'] == eval_cams.IRN_CRF_PARAMS
    # Shifted by 3: dog IoU 289 / 511; the CRF recovers most of the square.
    assert plain['per_class_iou']['dog'] == pytest.approx(
        100 * 17 * 17 / (2 * 400 - 17 * 17), abs=1e-3)
    assert crf['per_class_iou']['dog'] > plain['per_class_iou']['dog'] + 15
    os.remove(root / 'JPEGImages' / 'sq.png')
    with pytest.raises(FileNotFoundError, match=r'sq\.png'):
        eval_cams.main(args + ['--crf'])


def test_part_scores_every_other_line(voc_root, eval_cams):
    data_root, cam_dir = voc_root
    whole = eval_cams.main(['--cam-dir', cam_dir, '--data-root', data_root,
                            '--split', SPLIT, '--thresholds', '0.15'])
    halves = [
        eval_cams.main(['--cam-dir', cam_dir, '--data-root', data_root,
                        '--split', SPLIT, '--thresholds', '0.15', '--part',
                        f'{k}/2']) for k in range(2)
    ]
    assert [h['num_images'] for h in halves] == [1, 1]
    assert halves[0]['part'] == '0/2'
    assert whole['num_images'] == 2
    assert halves[0]['mIoU'] != halves[1]['mIoU']
    with pytest.raises(ValueError, match=r"--part '2/2'"):
        eval_cams.main(['--cam-dir', cam_dir, '--data-root', data_root,
                        '--split', SPLIT, '--part', '2/2'])


def test_optional_masks_score_the_masked_images_and_else_say_so(
        tmp_path, voc_root, eval_cams):
    """``--masks optional``: a split with some masks scores those; one with
    none gives no mIoU and the default threshold, said in the report, and
    still draws the overlays (of images of any suffix)."""
    data_root, cam_dir = voc_root
    some = eval_cams.main([
        '--cam-dir', cam_dir, '--data-root', data_root, '--split',
        'ImageSets/Segmentation/train.txt', '--masks', 'optional',
        '--thresholds', '0.05', '0.15', '0.5'])
    # c and d have no mask: a and b alone, as train_dev gives
    assert some['num_images'] == 2 and some['mIoU'] == pytest.approx(70.0)
    for name in os.listdir(osp.join(data_root, 'SegmentationClass')):
        os.remove(osp.join(data_root, 'SegmentationClass', name))
    os.replace(osp.join(data_root, 'JPEGImages', 'a.jpg'),
               osp.join(data_root, 'JPEGImages', 'a.png'))
    out_json = str(tmp_path / 'none.json')
    overlays = str(tmp_path / 'overlays')
    none = eval_cams.main([
        '--cam-dir', cam_dir, '--data-root', data_root, '--split', SPLIT,
        '--masks', 'optional', '--default-threshold', '0.4',
        '--img-suffix', '.jpg', '.png', '--out-json', out_json,
        '--overlay-dir', overlays, '--num-overlays', '2'])
    assert none['mIoU'] is None and none['best_threshold'] == 0.4
    assert none['threshold_rule'] == 'default (no masks)'
    assert none['num_without_mask'] == 2
    with open(out_json) as f:
        assert json.load(f) == none
    assert sorted(n for n in os.listdir(overlays)
                  if not n.startswith('.')) == ['a.png', 'b.png']
    with pytest.raises(FileNotFoundError, match='no ground-truth mask'):
        eval_cams.main(['--cam-dir', cam_dir, '--data-root', data_root,
                        '--split', SPLIT])
